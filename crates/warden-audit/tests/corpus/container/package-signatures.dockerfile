# Package managers told to skip signatures, in every stage (what a build stage
# installs ends up in what it builds), next to the right way: a keyring.
# warden-test: expect docker-package-signature-disabled@8 docker-package-signature-disabled@9
# warden-test: expect docker-tls-verification-disabled@10 docker-package-signature-disabled@14
# warden-test: expect docker-package-signature-disabled@15 docker-package-signature-disabled@18
FROM debian:12.7-slim@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f AS cuda
RUN curl -fsSL https://apt.internal.example.com/key.gpg | gpg --dearmor -o /usr/share/keyrings/internal.gpg
RUN echo "deb [trusted=yes] http://apt.internal.example.com/ bookworm main" > /etc/apt/sources.list.d/internal.list
RUN apt-get update && apt-get install -y --allow-unauthenticated internal-cuda-runtime=12.4.1-1
RUN apt-get install -y --no-install-recommends -o Acquire::https::Verify-Peer=false libgomp1=12.2.0-14
RUN echo "deb [signed-by=/usr/share/keyrings/internal.gpg] https://apt.internal.example.com/ bookworm main" > /etc/apt/sources.list.d/ok.list

FROM rockylinux:9.3@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f AS rpm
RUN dnf install -y --nogpgcheck https://example.com/nvidia-container-toolkit-1.16.0-1.x86_64.rpm
RUN rpm -i --nosignature /tmp/driver.rpm

FROM alpine:3.20.3@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
RUN apk add --allow-untrusted /tmp/warden-1.0.0-r0.apk
USER 65532
HEALTHCHECK CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1
