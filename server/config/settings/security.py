"""Transport and browser security: HTTPS redirect, HSTS, secure cookies, the proxy header, CSP, CORS.

Production (DEBUG and EMBEDDED off) is secure by default: `manage.py check --deploy` is clean with the
variables of .env.example. The embedded default runs on plain HTTP on one machine, so it keeps these off.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.environment import env as _env

_PRODUCTION = not (_env.bool("DEBUG", default=False) or _env.bool("EMBEDDED", default=False))

# Behind a TLS-terminating proxy: the header it sets and the value that means https, e.g.
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https. Only set it when the proxy always sets (and
# strips client copies of) that header. Unset: request.is_secure() is what the socket says.
_proxy_header = _env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_header and (len(_proxy_header) != 2 or not _proxy_header[0].startswith("HTTP_")):
    raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must be 'HTTP_<HEADER>,<value>', e.g. HTTP_X_FORWARDED_PROTO,https.")
SECURE_PROXY_SSL_HEADER: tuple[str, str] | None = (_proxy_header[0], _proxy_header[1]) if _proxy_header else None

SECURE_SSL_REDIRECT = _env.bool("SECURE_SSL_REDIRECT", default=_PRODUCTION)
# The load balancer's and compose's health checks speak plain HTTP to the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = _env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_PRODUCTION)
# The header's preload token only consents to https://hstspreload.org; it enrolls nothing by itself.
SECURE_HSTS_PRELOAD = _env.bool("SECURE_HSTS_PRELOAD", default=_PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_SECURE = _env.bool("SECURE_COOKIES", default=_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp). What the pages load, all from this origin: the web app's JS
# bundle, LiteRT's WebAssembly (compiled at run time: 'wasm-unsafe-eval'), expo-sqlite's wasm worker,
# the model bundle, photos as blob:/data: URLs; React Native Web and Swagger UI set inline styles.
# CONTENT_SECURITY_POLICY_MODE: enforce (production default), report-only, off (embedded default).
# EXTRA_MEDIA_ORIGINS: where images may also come from (object storage for media, e.g. https://bucket.s3...).
_csp_mode = _env.str("CONTENT_SECURITY_POLICY_MODE", default="enforce" if _PRODUCTION else "off")
if _csp_mode not in {"enforce", "report-only", "off"}:
    raise ImproperlyConfigured("CONTENT_SECURITY_POLICY_MODE must be enforce, report-only or off.")
_media_origins = _env.list("EXTRA_MEDIA_ORIGINS", default=[])
_policy = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *_media_origins],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", "data:", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
CONTENT_SECURITY_POLICY = _policy if _csp_mode == "enforce" else None
CONTENT_SECURITY_POLICY_REPORT_ONLY = _policy if _csp_mode == "report-only" else None

# CORS (django-cors-headers): the app calls the API with a bearer token from its own origin or natively,
# so no origin is allowed unless listed (https://app.example.org, comma separated). Never credentials.
CORS_ALLOWED_ORIGINS = _env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
