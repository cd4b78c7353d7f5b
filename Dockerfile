# syntax=docker/dockerfile:1
# Corkboard: one image with the `corkboard` server and the built web app.
#
#   docker build -t corkboard .        (or: docker compose up -d, see docker-compose.yml)
#
# The builder runs the same scripts as CI (scripts/lib.sh installers, scripts/build-frontend, then the server
# with SQLX_OFFLINE=true from the committed .sqlx/), so what CI proves is what the image contains.

# Node 20 for npm (the frontend build takes wasm-opt from npm's binaryen), as on the CI machines.
FROM node:20-bookworm-slim AS node

FROM rust:1.95-bookworm AS builder
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && node --version && npm --version

WORKDIR /src
ENV CARGO_TERM_COLOR=never \
    CARGO_TERM_PROGRESS_WHEN=never \
    SQLX_OFFLINE=true

# The wasm target and the wasm-bindgen CLI (its version follows Cargo.lock): a layer of its own, so a code
# change does not reinstall them.
COPY scripts/lib.sh scripts/lib.sh
COPY Cargo.lock Cargo.lock
RUN bash scripts/lib.sh ensure_wasm_target ensure_wasm_bindgen

COPY . .
# Caches speed up rebuilds; the results are copied out of them, into /out, in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    --mount=type=cache,target=/root/.npm \
    scripts/build-frontend \
    && cargo build --release --locked -p corkboard-server --bin corkboard \
    && mkdir -p /out \
    && cp target/release/corkboard /out/corkboard \
    && cp -r frontend/dist /out/dist

FROM debian:bookworm-slim AS runtime
# curl is only for the HEALTHCHECK; ca-certificates for TLS connections to a managed PostgreSQL.
# Versions are not pinned: bookworm's security updates replace the old ones in the archive.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 corkboard \
    && useradd --system --uid 10001 --gid corkboard --home-dir /app --no-create-home --shell /usr/sbin/nologin corkboard

COPY --from=builder /out/corkboard /usr/local/bin/corkboard
COPY --from=builder /out/dist /app/dist

WORKDIR /app
USER 10001:10001
ENV CORKBOARD_BIND=0.0.0.0:8080 \
    CORKBOARD_STATIC_DIR=/app/dist
EXPOSE 8080
# Liveness of the process; readiness (database reachable) is /readyz, for load balancers.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
# SIGTERM (docker stop) makes the server close sockets with 1001 and finish in-flight requests.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/corkboard"]
