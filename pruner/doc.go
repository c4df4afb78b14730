// Package pruner is the reconciler: it walks a scope (an organization,
// folders, projects), and for every metadata target reads, plans
// (package plan), holds what passes the limits, writes with the
// fingerprint it read, plans again on a conflict, and logs one entry per
// key decision. It talks to the world through the small interfaces it
// declares (store.go, instances.go), which package gcp implements over
// Google's clients and package inmemory implements for tests.
//
// The sub-packages, and the direction of their imports:
//
//	pruner ─┬─> policy ─> plan ─> keyparse
//	        ├─> access ─> plan
//	        ├─> report ─> access, plan
//	        └─> state  ─> keyparse
//
// Nothing below pruner imports it.
package pruner
