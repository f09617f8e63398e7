"""GitHub Actions' OIDC issuer: the provider AccountSingletons registers and the host PlatformRoles' CI trust names."""

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
