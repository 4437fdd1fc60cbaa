# ADD as archive extraction (fine), ADD with --checksum (fine), and the cases
# that want COPY or a verified download; apk packages; HEALTHCHECK NONE.
# warden-test: expect docker-add-remote-url@9 docker-add-remote-url@10
# warden-test: expect docker-add-instead-of-copy@11 docker-add-instead-of-copy@12
# warden-test: expect docker-unpinned-packages@13 docker-no-healthcheck@16
FROM alpine:3.20.3@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
ADD rootfs.tar.gz /
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://github.com/mikefarah/yq/releases/download/v4.44.3/yq_linux_amd64.tar.gz /tmp/
ADD https://raw.githubusercontent.com/example/ml-scripts/main/entrypoint.sh /entrypoint.sh
ADD git@github.com:example/model-config.git#v1.2.0 /etc/model-config
ADD --chown=app:app config/ /etc/app/
ADD ["serve.py", "/app/"]
RUN apk add --no-cache --virtual .build-deps gcc musl-dev \
 && apk add --no-cache ca-certificates=20240705-r0 tini~0.19
USER 1000
HEALTHCHECK NONE
ENTRYPOINT ["/sbin/tini", "--", "/entrypoint.sh"]
