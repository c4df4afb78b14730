# The ssh-pruner image: one static binary on distroless, as a non-root user.
#
#   docker build --build-arg VERSION=v0.1.0 -t ssh-pruner:v0.1.0 .
#
# cmd/ssh-pruner/image_test.go builds the binary with the ENV and the
# go build line of the build stage below, and runs it with an empty
# environment from an empty directory: keep them on their own lines.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN go build -trimpath -ldflags "-s -w -X main.stampedVersion=${VERSION}" -o /out/ssh-pruner ./cmd/ssh-pruner

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ssh-pruner /ssh-pruner
USER nonroot:nonroot
ENTRYPOINT ["/ssh-pruner"]
