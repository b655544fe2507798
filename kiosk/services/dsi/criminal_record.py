"""刑事紀錄證明書申請 · Certificado de registo criminal · Criminal record certificate.

The citizen chooses what the certificate is for; it is delivered accordingly.
"""

from kiosk.services.dsi.applications import application

SERVICE = application("dsi.criminal-record", "dsi.choose.purpose")
