#!/usr/bin/env bash
# Installs the Autobahn|Testsuite (wstest) into .venv-wstest/ (git-ignored). It is Python 2 only
# and Debian bookworm has no Python 2, so it uses pyenv's 2.7.18 (SWIFT-C-NOTES.md).
# Idempotent: does nothing when wstest already runs. Run wstest against loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix_dir=$PWD/.venv-wstest
wstest=$prefix_dir/bin/wstest

if [ -x "$wstest" ] && "$wstest" --help >/dev/null 2>&1; then
    echo "install-wstest: $wstest is already installed"
    exit 0
fi

python_prefix=""
if command -v pyenv >/dev/null 2>&1; then
    python_prefix=$(pyenv prefix 2.7.18 2>/dev/null || true)
fi
if [ -z "$python_prefix" ] && [ -d "${PYENV_ROOT:-/root/.pyenv}/versions/2.7.18" ]; then
    python_prefix=${PYENV_ROOT:-/root/.pyenv}/versions/2.7.18
fi
python=$python_prefix/bin/python
if [ -z "$python_prefix" ] || [ ! -x "$python" ]; then
    echo "install-wstest: needs pyenv's Python 2.7.18 (pyenv install 2.7.18):" \
        "the Autobahn testsuite runs on Python 2 only" >&2
    exit 1
fi

# The whole resolved set, pinned, so a fresh machine gets what was tested (autobahntestsuite 25.10.1
# on Python 2.7; newer releases of its dependencies dropped Python 2).
PYTHONUSERBASE=$prefix_dir "$python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --user \
    autobahntestsuite==25.10.1 autobahn==0.10.9 Twisted==19.10.0 cryptography==3.3.2 pyOpenSSL==19.1.0 \
    attrs==21.4.0 Automat==22.10.0 cffi==1.15.1 constantly==15.1.0 enum34==1.1.10 hyperlink==21.0.0 \
    idna==2.10 incremental==16.10.1 ipaddress==1.0.23 Jinja2==2.11.3 klein==17.10.0 linecache2==1.0.0 \
    MarkupSafe==1.1.1 pyasn1==0.5.1 pyasn1-modules==0.3.0 pycparser==2.21 PyHamcrest==1.10.1 \
    service-identity==18.1.0 six==1.16.0 traceback2==1.4.0 txaio==2.1.0 typing==3.10.0.0 unittest2==1.1.0 \
    Werkzeug==1.0.1 zope.interface==4.6.0

# pip's script only finds its modules when PYTHONUSERBASE is set, so wrap it.
mv "$wstest" "$prefix_dir/bin/wstest-py"
cat >"$wstest" <<WRAPPER
#!/bin/sh
PYTHONUSERBASE='$prefix_dir' exec '$python' '$prefix_dir/bin/wstest-py' "\$@"
WRAPPER
chmod +x "$wstest"

"$wstest" --help >/dev/null
echo "install-wstest: installed $wstest"
