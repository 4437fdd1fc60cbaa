#!/bin/bash
# From the GPU box README: "open what the demo needs".
# warden-test: expect host-firewall-default-allow@6 host-firewall-ssh-open@7
# warden-test: expect host-firewall-inference-open@8 host-firewall-inference-open@9
set -e
ufw default allow incoming
ufw limit ssh
sudo ufw allow 8443/tcp
ufw allow 8000:8002/tcp   # Triton HTTP, gRPC and metrics
ufw allow from 10.0.0.0/8 to any port 9464
ufw --force enable
