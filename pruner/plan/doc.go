// Package plan decides, for one metadata target (a project's
// commonInstanceMetadata or one instance's metadata), which key lines
// stay, which go and which move, and what the metadata becomes.
//
// It is pure, as external-dns's plan is: Make takes the metadata as read,
// the policy, the first-seen times and the clock, and returns a Plan with
// JSON tags; it does no I/O, logs nothing and never reads time.Now. A dry
// run renders the plan and an apply writes Items: both come from the
// same call, which is what makes a dry run trustworthy.
//
// What it guarantees, each with a property test (plan_test.go,
// widen_test.go):
//   - a line that stays keeps its bytes, and items other than ssh-keys,
//     sshKeys and the guard's block-project-ssh-keys never change;
//   - no plan lets a key into a VM it did not open before, under any
//     mix of the project's and the instance's writes landing (guard.go).
//
// It imports keyparse only. Target, Item and Metadata live here because
// planning is where a target's metadata is first given meaning.
package plan
