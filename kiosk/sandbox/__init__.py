"""The sandbox gateway: a real HTTP server that plays the government's public
services management platform, with demo data, for the demo and the tests."""
