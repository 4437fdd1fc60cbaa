#!/usr/bin/env bash
# Host firewall for Warden with ufw: deny everything incoming, allow outgoing, SSH only
# from the admin network, inference (8443) only from the serving network, metrics (9464)
# only from the monitoring network.
#
#   sudo SERVING_SUBNET=10.30.0.0/24 ADMIN_SUBNET=10.20.0.0/16 \
#        MONITORING_SUBNET=10.40.0.0/24 deploy/host/ufw.sh
#
# Every subnet is required: nothing is opened to any address. Run it from a session
# inside ADMIN_SUBNET (or the console), or you cut your own SSH connection.
set -euo pipefail

: "${SERVING_SUBNET:?set SERVING_SUBNET, the network of the clients or load balancer (e.g. 10.30.0.0/24)}"
: "${ADMIN_SUBNET:?set ADMIN_SUBNET, the bastion or VPN network allowed to SSH (e.g. 10.20.0.0/16)}"
: "${MONITORING_SUBNET:?set MONITORING_SUBNET, where Prometheus scrapes from (e.g. 10.40.0.0/24)}"
SSH_PORT="${SSH_PORT:-22}"

for net in "$SERVING_SUBNET" "$ADMIN_SUBNET" "$MONITORING_SUBNET"; do
  case "$net" in
    0.0.0.0/0 | ::/0 | any) echo "ufw.sh: $net is every address; name a subnet" >&2; exit 2 ;;
  esac
done

ufw --force reset
ufw default deny incoming
ufw default allow outgoing
ufw default deny routed
ufw logging low

# Loopback, established and related traffic are accepted by ufw's before.rules.
ufw limit from "$ADMIN_SUBNET" to any port "$SSH_PORT" proto tcp comment 'ssh from admin network, rate limited'
ufw allow from "$SERVING_SUBNET" to any port 8443 proto tcp comment 'warden inference (https)'
ufw allow from "$MONITORING_SUBNET" to any port 9464 proto tcp comment 'warden metrics (token required)'

ufw --force enable
ufw status verbose
