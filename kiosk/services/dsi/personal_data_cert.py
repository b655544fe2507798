"""個人資料證明書申請 · Certificado de dados pessoais · Personal data certificate."""

from kiosk.services.dsi.applications import application

SERVICE = application("dsi.personal-data-cert", "dsi.choose.certificate")
