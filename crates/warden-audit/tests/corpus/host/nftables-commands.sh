#!/bin/sh
# Firewall set up with nft commands from a cloud-init script; the input policy is
# accept and the last rule is not a drop, so everything else is open.
# warden-test: expect host-firewall-default-allow@6 host-firewall-inference-open@9
nft add table inet fw
nft add chain inet fw input '{ type filter hook input priority 0; policy accept; }'
nft add rule inet fw input ct state established,related accept
nft add rule inet fw input ip saddr 10.20.0.0/16 tcp dport 22 accept
nft add rule inet fw input tcp dport 8443 accept
