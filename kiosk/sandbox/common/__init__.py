"""The common modules every department reuses: profile, second factor (OTP),
payments, cross-department application progress, department status."""
