// Package gcpfake is an in-memory fake of the Google REST APIs that
// ssh-pruner uses: Cloud Resource Manager v3, Service Usage v1, the
// metadata, instance and operation methods of Compute Engine v1, and
// Cloud Logging v2's entries.list over the Admin Activity audit entries
// that the metadata writes leave. It serves the real paths, parameters,
// JSON shapes and errors under one base URL, so that Google's own
// clients (and gcloud) can be pointed at it:
//
//	Resource Manager   BASE/v3/...  (and v1 projects, v2 folders, which gcloud calls)
//	Service Usage      BASE/v1/...
//	Compute Engine     BASE/compute/v1/...
//	Cloud Logging      BASE/v2/entries:list
//	OS Login           BASE/v1/users/...  (what gcloud compute ssh calls)
//
// A Fake is seeded from a Seed, is safe for concurrent use, counts calls
// per discovery method id (compute.projects.get, ...) and injects faults
// per method and project: latency, 429/500/503 answers, slow or failing
// operations, and a concurrent writer between a read and a write.
//
// # Layout
//
// The package is split as fake-gcs-server splits its fake of Cloud
// Storage, into a backend that holds the resources and a front end that
// speaks HTTP, so that the rules of the resources (fingerprints,
// operations, what a zone outage hides) are written once, apart from the
// wire details of four APIs, and each can change without the other:
//
//	backend    backend.go, store_*.go, audit.go. The organization,
//	           folders, projects, services, metadata with fingerprints,
//	           instances, zones and operations, under the backend's own
//	           lock, and the audit log, under its own. Its methods speak
//	           of resources (a project, a page of instances, set metadata
//	           if the fingerprint matches, poll an operation), hand out
//	           copies and return domain errors; they never see a request
//	           nor write an answer.
//	handlers   router.go, compute*.go, crm*.go, serviceusage.go,
//	           instance_resource.go, paging.go, errors.go, audit_write.go,
//	           audit_entry.go, logging*.go. Type server routes the real
//	           paths, parses parameters and bodies, runs the front end's
//	           checks, calls the backend, and writes Google's JSON, error
//	           shapes and page tokens; a write hands the backend the audit
//	           record of its caller, which the backend completes and logs.
//	faults,    dispatch.go, faults.go, quota.go, hooks.go, counts.go. The
//	quotas,    front end misbehaving on purpose, between the wire and the
//	hooks      handlers: calls are counted, refused past a quota, delayed
//	           or failed as a Fault says; a Fault's operation settings
//	           reach the backend only as an operation's shape; hooks run
//	           another client's write between a read and a write. Each
//	           has its own lock, so a test tunes them without touching
//	           the state.
//
// Fake (fake.go) assembles the two halves; its methods are the test's
// view of them. Seeds are parsed and checked in seed.go and
// seed_validate.go, with the metadata limits of metadata_limits.go, which
// the handlers apply to writes too.
package gcpfake
