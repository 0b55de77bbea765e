"""Shop: tax on net prices and the clinic details printed on receipts."""

from decimal import Decimal

from config.settings.environment import env as _env

# Percent, e.g. 19 or 7.7 (read as a decimal: money is never a float).
SHOP_TAX_RATE_PERCENT = Decimal(_env.str("SHOP_TAX_RATE_PERCENT", default="19"))
CLINIC_NAME = _env.str("CLINIC_NAME", default="SkinScreen Clinic")
CLINIC_ADDRESS = _env.str("CLINIC_ADDRESS", default="Musterstrasse 1, 10115 Berlin, Germany")
CLINIC_VAT_ID = _env.str("CLINIC_VAT_ID", default="DE000000000")
# Shown by the app where something must be done by phone (e.g. changes inside the appointment cutoff).
CLINIC_PHONE = _env.str("CLINIC_PHONE", default="+49 30 1234567")
