# The roll gateway image built from source, for people with a registry (Docker Hub's golang image).
#
#     docker build -f cmd/roll/build.Dockerfile --build-arg VERSION=$(git describe --tags --always) \
#         -t registry.example.com/roll:1.0 .
#
# The context is the repository root; cmd/roll/build.Dockerfile.dockerignore keeps .git and build
# output out of it (BuildKit reads it; the legacy builder sends everything, which is only slower).
# Without a registry use cmd/roll/Dockerfile through scripts/build-images.sh instead. Both produce
# the same image: FROM scratch, /roll, non-root, /var/lib/roll for the state.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so source edits do not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/roll ./cmd/roll \
 && mkdir /out/state

FROM scratch
COPY --from=build --chown=65532:65532 /out/state/ /var/lib/roll/
COPY --from=build /out/roll /roll
USER 65532:65532
VOLUME ["/var/lib/roll"]
ENTRYPOINT ["/roll"]
CMD ["gateway"]
