# syntax=docker/dockerfile:1
#
# contrakt for scheduled jobs (`contrakt run`, the cron job: check, record the history, alert):
#
#   docker build -t contrakt .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" contrakt run contracts/
#
# WORKDIR is /work: mount the registry (contracts, contrakt.yaml, local data) there. contrakt
# writes its state beside the registry (`.contrakt/`: the alert outbox, the SQLite history), so
# the mount must be writable by the container's user: `--user` as above for a host folder, or the
# image's own `nonroot` user (uid 65532) for a volume. Credentials come in as environment
# variables (`-e AWS_ACCESS_KEY_ID`, `-e CONTRAKT_PG_PASSWORD`, ...), never baked into the image.
# The image has no git, so `breaking --against <git ref>` and `report`'s breaking-change history
# need contrakt installed where git is (the GitHub Action, a release binary, cargo install).

# The build: the same toolchain image the Linux CI uses; cache mounts keep the registry and the
# target folder between builds (BuildKit).
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin contrakt \
    && install -m 0755 target/release/contrakt /usr/local/bin/contrakt

# The runtime: glibc, libgcc, CA certificates (HTTPS, S3, SMTP over TLS) and tzdata, no shell;
# Debian 12 like the builder, so the glibc the binary was linked against is the one it runs on.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /usr/local/bin/contrakt /usr/local/bin/contrakt
WORKDIR /work
# nonroot, numerically (so runAsNonRoot can verify it).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/contrakt"]
CMD ["--help"]
