#!/usr/bin/env bash
# CI check of the Kubernetes recipe (deploy/k8s/, docs/scale-out.md) without
# a cluster: the manifests against deploy/k8s/job-schema.json, the API
# server's cross-field rules for Jobs, and detsim's exit codes against the
# pod failure policy; then broken copies of the manifests must be rejected
# (scripts/check_k8s.py says which and why).
# Needs Debian 12's python3-yaml and python3-jsonschema, under the system
# python (/usr/bin/python3), not a pyenv or venv one earlier on PATH.
# Usage: scripts/check-k8s.sh [--detsim build/detsim] [DIR]   (default: deploy/k8s)
#   --detsim: also run the pods' commands here with that binary (see
#   scripts/check_k8s.py), merge included.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! /usr/bin/python3 -c 'import yaml, jsonschema' 2>/dev/null; then
  echo "check-k8s: needs python3-yaml and python3-jsonschema (apt-get install -y python3-yaml python3-jsonschema)" >&2
  exit 1
fi
exec /usr/bin/python3 "$here/check_k8s.py" "$@"
