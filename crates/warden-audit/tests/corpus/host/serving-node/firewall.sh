#!/bin/sh
# warden-test: expect host-firewall-inference-open@5
ufw default deny incoming
ufw allow from 10.20.0.0/16 to any port 22 proto tcp
ufw allow 8080/tcp
ufw --force enable
