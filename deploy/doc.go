// Package deploy holds what runs ssh-pruner in production, and the tests
// that check it offline:
//
//	base/, overlays/dry-run/  Kubernetes CronJob (kustomize), Workload Identity
//	iam/                      custom roles and the gcloud commands that bind them
//	monitoring/               log-based metrics and a Cloud Monitoring dashboard
//
// It has no Go code of its own; README.md says how to deploy.
package deploy
