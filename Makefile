# roll — run `make help` for the targets.
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := build/roll
GO ?= go
# The whole suite: unit, fuzz seeds, real Tomcat 10.1 conformance, real Docker end-to-end.
TEST_FLAGS ?= -race -count=1 -timeout 25m
# staticcheck 2026.2.2 (module version v0.8.2), which knows Go 1.26; scripts/staticcheck.sh installs it under build/tools.
STATICCHECK_VERSION := v0.8.2

.PHONY: help build test unit lint fuzz bench bench-deploy e2e demo images clean

help: ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build ./build/roll (static, version stamped)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/roll

test: ## check the machine, run every test (unit, Tomcat, Docker) with -race and each fuzz target briefly, count them
	@GO='$(GO)' TEST_FLAGS='$(TEST_FLAGS)' scripts/test.sh

unit: ## run the fast tests only (no Tomcat, no Docker)
	$(GO) test -race -short -count=1 ./...

lint: ## gofmt, go mod tidy, go vet, staticcheck (STRICT=1: pending findings fail too)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff >/dev/null 2>&1 || { echo "go.mod/go.sum are not tidy; run go mod tidy. What it would change:"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...
	@STATICCHECK_VERSION=$(STATICCHECK_VERSION) scripts/staticcheck.sh

fuzz: ## run every fuzz target for FUZZTIME (default 30s each)
	scripts/fuzz.sh $${FUZZTIME:-30s}

bench: ## Go benchmarks, then wrk: roll gateway vs Apache+mod_jk vs direct Tomcat
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...
	scripts/bench-gateway.sh

bench-deploy: ## time deploys of the Go and the Tomcat example app, step by step
	scripts/bench-deploy.sh

e2e: ## only the end-to-end tests against the Docker engine
	$(GO) test $(TEST_FLAGS) ./test/...

images: build ## build the roll gateway and example images locally (no registry needed)
	scripts/build-images.sh

demo: ## a zero-downtime deploy under load, shown step by step
	scripts/demo.sh

clean: ## remove build output
	rm -rf build
