# confab-server in a container: built in a Rust image, run from a small distroless image as a
# non-root user, with its data in the /data volume.
#
# It listens on 0.0.0.0, so `--tls auto` serves HTTPS with the identity generated once into /data
# (the fingerprint is in `docker logs`); put `CONFAB_TLS=off` behind a reverse proxy that has a
# real certificate. The health check follows either way: over TLS it trusts exactly the
# certificate in /data. Discovery is off: on Docker's bridge network the container would announce
# addresses nobody on the LAN can reach (run with the host's network to turn it on).
#
# /data/uploads and /data/avatars exist in the image, owned by the server's user, so that a
# volume mounted there alone (compose.cluster.yaml shares them between nodes) starts out
# writable by it: Docker gives a new volume the owner of the folder it is mounted over.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin confab-server \
    && mkdir -p /out/data/uploads /out/data/avatars \
    && cp target/release/confab-server /out/confab-server

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/confab-server /usr/local/bin/confab-server
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV CONFAB_BIND=0.0.0.0:8080 \
    CONFAB_DATA_DIR=/data \
    CONFAB_PROFILE=production \
    CONFAB_NO_DISCOVERY=true
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/confab-server", "health"]
ENTRYPOINT ["/usr/local/bin/confab-server"]
