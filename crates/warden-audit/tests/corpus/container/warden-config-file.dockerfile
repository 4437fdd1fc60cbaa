# Warden started with a config file: what the image leaves out (signatures, the
# metrics token) may be in that file and is not guessed at, but a flag given here
# overrides the file, so an explicit false is reported.
# warden-test: expect docker-warden-signatures-off@13
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
COPY --from=ghcr.io/example/warden:1.4.0@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f /usr/local/bin/warden /usr/local/bin/warden
COPY --chown=65532:65532 deploy/warden.toml /etc/warden/warden.toml
ENV WARDEN_CONFIG=/etc/warden/warden.toml
EXPOSE 8443 9464
COPY --from=ghcr.io/tarampampam/curl:8.10.1@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f /bin/curl /usr/local/bin/curl
HEALTHCHECK CMD ["/usr/local/bin/curl", "-fsS", "--cacert", "/etc/warden/tls/ca.crt", "https://localhost:8443/v2/health/ready"]
ENTRYPOINT ["/usr/local/bin/warden", "serve"]
CMD ["--model-repository", "/models", "--models-require-signature=false", "--metrics-listen", "0.0.0.0:9464"]
