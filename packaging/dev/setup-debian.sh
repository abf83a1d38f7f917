#!/usr/bin/env bash
# Idempotent set-up of a Debian 12 machine (as root) for running and testing Estafette:
# system packages of the sandbox servers, the project's .venv, the sandbox's npm packages.
set -euo pipefail
cd "$(dirname "$0")/../.."

APT_PACKAGES=(
  dovecot-imapd dovecot-lmtpd postfix slapd ldap-utils libldap2-dev libsasl2-dev
  softhsm2 opensc gnome-keyring dbus libsecret-tools xvfb imagemagick x11-utils
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-xinerama0
  libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-shape0 libegl1 libgl1
  libfontconfig1 libdbus-1-3 fonts-dejavu-core isync offlineimap3 python3-venv
  dnsmasq time
)
# Node.js (for the sandbox's OpenID provider): take the machine's own if present.
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing system packages (${missing[*]}); run as root" >&2; exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.estafette-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[test]"
  touch "$stamp"
fi

oidc=tests/sandbox/oidc
if [ -f "$oidc/package.json" ]; then
  if [ ! -d "$oidc/node_modules" ] || [ "$oidc/package.json" -nt "$oidc/node_modules" ]; then
    (cd "$oidc" && npm install --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
fi
echo "setup: ready"
