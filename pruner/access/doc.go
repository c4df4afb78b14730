// Package access answers who can reach which VM through metadata SSH
// keys, and until when, as Google's guest agents decide it
// (EffectiveAccess cites the agent's functions it follows), and renders
// that answer: by identity, by VM, and a project's posture.
//
// It is pure: the reconciler (package pruner) reads the metadata and the
// instance listing and hands them over as VMs.
package access
