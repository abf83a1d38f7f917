"""Pro Santé Connect (OpenID Connect): discovery, CIBA, code + PKCE, refresh, ID tokens, logout."""
