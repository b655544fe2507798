"""特區旅行證件申請 · Pedido de documento de viagem · Apply for a SAR passport or travel permit."""

from kiosk.services.dsi.applications import application

SERVICE = application("dsi.travel-document", "dsi.choose.travel_document")
