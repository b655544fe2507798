"""居民身份證續期 · Renovação do BIR · Renew resident identity card."""

from kiosk.services.dsi.applications import application

SERVICE = application("dsi.id-renewal", "dsi.choose.renewal")
