#!/bin/sh
# Host firewall of the model-serving nodes, run by the provisioning playbook.
# warden-test: expect none
set -eu
ufw --force reset
ufw default deny incoming
ufw default allow outgoing
ufw default deny routed
# SSH from the bastion network only
ufw allow from 10.20.0.0/16 to any port 22 proto tcp comment 'bastion'
# Inference API from the serving subnet (the load balancers)
ufw allow from 10.30.0.0/24 to any port 8443 proto tcp comment 'warden api'
# Prometheus scrapes the metrics listener from the monitoring subnet
ufw allow from 10.40.0.0/24 to any port 9464 proto tcp
ufw logging on
ufw --force enable
