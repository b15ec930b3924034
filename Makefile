# ckalab: make targets match what README.md documents.
SHELL := /bin/bash
GO ?= go
K8S_VERSION := v1.37.2
XDG_CACHE_HOME ?= $(HOME)/.cache
SIM_BIN ?= $(XDG_CACHE_HOME)/ckalab/sim/$(K8S_VERSION)/bin
CKALAB := bin/ckalab
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/ckalab/ckalab/cmd/internal/cli.Version=$(VERSION)

.PHONY: help build sim test unit integration bench demo lint fuzz clean kind-image kubeadm-image e2e readme-catalog

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/ckalab
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(CKALAB) ./cmd/ckalab

sim: ## build the sim lab's upstream binaries (etcd, kube-*, kubectl, kwok) into $(SIM_BIN); ~15-25 min once
	lab/sim/upstream/build.sh "$(SIM_BIN)"

test: sim ## all tests: unit and sim integration tests (needs `make sim`, done here)
	CKALAB_SIM_BIN="$(SIM_BIN)" $(GO) test -count=1 -timeout 60m ./...
	cd lab/kind/nodeimage/netd && $(GO) test -count=1 ./...

unit: ## unit tests only (no lab)
	$(GO) test -short -count=1 ./...

kind-image: build ## the kind node image ckalab/node:v1.37.2 and the scenarios' images, built offline, then cached for labs
	lab/kind/nodeimage/build.sh
	XDG_CACHE_HOME="$(XDG_CACHE_HOME)" $(CKALAB) images pack

kubeadm-image: build ## the kubeadm lab's node image ckalab/node-kubeadm:v1.37.2 (bare nodes, an offline apt repository of Kubernetes v1.36.3 and v1.37.2), after the kind image's steps
	lab/kind/nodeimage/build.sh kubeadm

# The e2e run puts hack/docker-unprivileged first on PATH: on machines whose
# Docker refuses --privileged (ours), it passes the flags that work instead.
# Elsewhere run `make e2e DOCKER_WRAPPER=` to use Docker as it is.
DOCKER_WRAPPER ?= $(CURDIR)/hack/docker-unprivileged
e2e: kind-image ## a kind lab end to end: lab up, `scenario test` of the scenarios the sim cannot run (CKALAB_E2E_SCENARIOS=all: every one), ssh, an exam, lab down (needs Docker)
	PATH="$(DOCKER_WRAPPER):$$PATH" XDG_CACHE_HOME="$(XDG_CACHE_HOME)" \
		$(GO) test -tags e2e -count=1 -timeout 130m -v -run TestKindLabEndToEnd ./cmd/internal/cli/

bench: sim ## benchmarks: lab up, lab memory, grading the sim-runnable scenarios, task switch (start after start), exam start and exam grading, the exam prompt, hostile scenario folders and expressions
	CKALAB_SIM_BIN="$(SIM_BIN)" $(GO) test -run '^$$' -bench . -benchtime 3x -timeout 30m ./lab/sim/ ./scenarios/runner/ ./scenarios/ ./internal/expr/ ./cmd/internal/cli/

readme-catalog: ## rewrite README.md's catalog table from the scenarios (ckalab list --coverage -o markdown)
	$(GO) test -count=1 -run TestREADMECatalog ./cmd/internal/cli/ -update

fuzz: ## fuzz the scenario loader for a minute
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./scenarios/

demo: build sim ## the main loop on a sim lab: lab up, start, grade (fails), solution, grade (full marks)
	CKALAB_SIM_BIN="$(SIM_BIN)" $(CKALAB) lab up --provider sim
	$(CKALAB) start taint-toleration
	-$(CKALAB) grade --explain
	$(CKALAB) solution --apply
	$(CKALAB) grade
	@echo "The lab keeps running: try './$(CKALAB) list', or remove it with './$(CKALAB) lab down'."

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	cd lab/kind/nodeimage/netd && $(GO) vet ./...

clean: ## remove build outputs (not the sim cache)
	rm -rf bin

.PHONY: report-screenshot
report-screenshot: ## the exam's HTML report of a failed fixture exam, and its screenshot in headless Chromium: bin/exam-report.html, bin/exam-report.png
	CKALAB_REPORT_SCREENSHOT="$(CURDIR)/bin/exam-report.png" $(GO) test -count=1 -run '^TestHTMLReportInABrowser$$' ./exam/report/
	@echo "wrote bin/exam-report.html and bin/exam-report.png"
