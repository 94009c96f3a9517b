# newsmirror in a container: a static binary on a small Alpine image, run as a non-root user.
#   docker build -t newsmirror .
#   docker run --rm newsmirror --help
# A mirror kept in a volume (the checkout in /data/mirror, made by `newsmirror init` or a clone):
#   docker run -d --name newsmirror -v newsmirror:/data \
#     -v "$HOME/.ssh/newsmirror_deploy_key:/run/secrets/deploy-key:ro" \
#     -e GIT_SSH_COMMAND='ssh -i /run/secrets/deploy-key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new' \
#     newsmirror run --config /data/mirror/newsmirror.toml

# Build: Alpine's Rust targets musl, so the binary is fully static (SQLite and ring's C
# included).
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
# Dependencies first, so that a change to the code does not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches examples \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && echo 'fn main() {}' > benches/extraction.rs && cp benches/extraction.rs benches/search.rs \
    && cargo build --release --locked \
    && rm -rf src benches
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked \
    && ./target/release/newsmirror --version

# Run: git (publishing), ssh (pushing), CA certificates (https feeds), time zones.
FROM alpine:3
RUN apk add --no-cache git openssh-client ca-certificates tzdata \
    && adduser -D -h /data -u 10001 newsmirror
COPY --from=build /src/target/release/newsmirror /usr/local/bin/newsmirror
USER newsmirror
WORKDIR /data
VOLUME /data
ENTRYPOINT ["newsmirror"]
CMD ["--help"]
