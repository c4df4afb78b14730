#!/usr/bin/env bash
# Sets up the Google side of deploy/: the service account, the custom roles,
# the organization-level binding, the log writer binding, the Workload
# Identity binding of the Kubernetes service account, the bucket of the
# pruner's state with its one binding, and the audit logs that attribution
# reads (--audit-logs): an organization sink of the metadata writes into a
# log bucket, and the pruner's read on its one view.
#
# Run it as someone who may create organization roles and change the
# organization's IAM policy (roles/iam.organizationRoleAdmin and
# roles/resourcemanager.organizationAdmin), for example:
#   ORG_ID=123456789012 PROJECT_ID=my-security-project deploy/iam/setup.sh
# MODE=dry-run binds the read-only role instead (for deploy/overlays/dry-run).
# STATE_BUCKET (default PROJECT_ID-ssh-pruner-state) must match the bucket of
# SSH_PRUNER_STATE in deploy/base/config.env; STATE_LOCATION is its location.
# AUDIT_BUCKET and AUDIT_VIEW (default ssh-pruner-audit, both) must match
# SSH_PRUNER_AUDIT_LOGS there; AUDIT_SINK names the organization's sink.
# The sink needs roles/logging.configWriter on the organization too.
# Running it again updates the roles and keeps the bindings.
set -euo pipefail

: "${ORG_ID:?set ORG_ID to the numeric organization id}"
: "${PROJECT_ID:?set PROJECT_ID to the project of the cluster, the service account and the logs}"
NAMESPACE=${NAMESPACE:-ssh-pruner}
KSA=${KSA:-ssh-pruner}
GSA_NAME=${GSA_NAME:-ssh-pruner}
MODE=${MODE:-apply}
STATE_BUCKET=${STATE_BUCKET:-${PROJECT_ID}-ssh-pruner-state}
STATE_LOCATION=${STATE_LOCATION:-EU}
AUDIT_BUCKET=${AUDIT_BUCKET:-ssh-pruner-audit}
AUDIT_VIEW=${AUDIT_VIEW:-ssh-pruner-audit}
AUDIT_SINK=${AUDIT_SINK:-ssh-pruner-audit}
# As long as Google keeps Admin Activity audit logs (400 days): a key is
# attributed from the writes the bucket still holds.
AUDIT_RETENTION_DAYS=${AUDIT_RETENTION_DAYS:-400}
GSA="${GSA_NAME}@${PROJECT_ID}.iam.gserviceaccount.com"
here=$(cd "$(dirname "$0")" && pwd)

case "$MODE" in
apply) role=sshPruner ;;
dry-run) role=sshPrunerDryRun ;;
*) echo "MODE=$MODE: want apply or dry-run" >&2; exit 2 ;;
esac

# 1. The Google service account the CronJob acts as.
if ! gcloud iam service-accounts describe "$GSA" --project="$PROJECT_ID" >/dev/null 2>&1; then
  gcloud iam service-accounts create "$GSA_NAME" --project="$PROJECT_ID" \
    --display-name="ssh-pruner" --description="Prunes project-wide SSH keys"
fi

# 2. The custom roles, at organization level.
for r in sshPruner:role.yaml sshPrunerDryRun:role-dry-run.yaml; do
  id=${r%%:*}
  file=$here/${r#*:}
  if gcloud iam roles describe "$id" --organization="$ORG_ID" >/dev/null 2>&1; then
    gcloud iam roles update "$id" --organization="$ORG_ID" --file="$file" --quiet
  else
    gcloud iam roles create "$id" --organization="$ORG_ID" --file="$file"
  fi
done

# 3. The role on the whole organization: every folder and project inherits it.
gcloud organizations add-iam-policy-binding "$ORG_ID" \
  --member="serviceAccount:$GSA" --role="organizations/$ORG_ID/roles/$role" --condition=None

# 4. Writing log entries, in the log project only.
gcloud projects add-iam-policy-binding "$PROJECT_ID" \
  --member="serviceAccount:$GSA" --role=roles/logging.logWriter --condition=None

# 5. Workload Identity: the Kubernetes service account may act as the
#    Google one (the annotation in deploy/base/serviceaccount.yaml names it).
gcloud iam service-accounts add-iam-policy-binding "$GSA" --project="$PROJECT_ID" \
  --role=roles/iam.workloadIdentityUser \
  --member="serviceAccount:${PROJECT_ID}.svc.id.goog[${NAMESPACE}/${KSA}]"

# 6. The state: when the pruner first saw each key (--state, --grace). Only
#    the pruner may write it: whoever could would choose how long a key
#    without expiry lives. The role is bound on this bucket alone, in both
#    modes (a dry run remembers what it saw too); grant no one else write
#    access to the bucket.
if ! gcloud storage buckets describe "gs://$STATE_BUCKET" >/dev/null 2>&1; then
  gcloud storage buckets create "gs://$STATE_BUCKET" --project="$PROJECT_ID" \
    --location="$STATE_LOCATION" --uniform-bucket-level-access --public-access-prevention
fi
if gcloud iam roles describe sshPrunerState --project="$PROJECT_ID" >/dev/null 2>&1; then
  gcloud iam roles update sshPrunerState --project="$PROJECT_ID" --file="$here/role-state.yaml" --quiet
else
  gcloud iam roles create sshPrunerState --project="$PROJECT_ID" --file="$here/role-state.yaml"
fi
gcloud storage buckets add-iam-policy-binding "gs://$STATE_BUCKET" \
  --member="serviceAccount:$GSA" --role="projects/$PROJECT_ID/roles/sshPrunerState"

# 7. The audit logs of the metadata writes (--audit-logs): which principal
#    wrote each SSH key. An organization-level sink, over every folder
#    and project (--include-children), routes the Admin Activity entries
#    of the four metadata write methods (audit-sink-filter.txt, the one
#    place that names them) into a log bucket of this project, kept 400
#    days. The pruner reads them through one view of that bucket, with a
#    project role bound under a condition naming that view alone: it
#    reads no other log of the project.
audit_filter=$(cat "$here/audit-sink-filter.txt")
if gcloud logging buckets describe "$AUDIT_BUCKET" --location=global --project="$PROJECT_ID" >/dev/null 2>&1; then
  gcloud logging buckets update "$AUDIT_BUCKET" --location=global --project="$PROJECT_ID" \
    --retention-days="$AUDIT_RETENTION_DAYS"
else
  gcloud logging buckets create "$AUDIT_BUCKET" --location=global --project="$PROJECT_ID" \
    --retention-days="$AUDIT_RETENTION_DAYS" \
    --description="Compute Engine metadata writes of the organization, for ssh-pruner --audit-logs"
fi
if ! gcloud logging views describe "$AUDIT_VIEW" --bucket="$AUDIT_BUCKET" --location=global \
  --project="$PROJECT_ID" >/dev/null 2>&1; then
  gcloud logging views create "$AUDIT_VIEW" --bucket="$AUDIT_BUCKET" --location=global \
    --project="$PROJECT_ID" --log-filter='LOG_ID("cloudaudit.googleapis.com/activity")' \
    --description="What ssh-pruner reads: the Admin Activity entries of the bucket"
fi
audit_dest="logging.googleapis.com/projects/$PROJECT_ID/locations/global/buckets/$AUDIT_BUCKET"
if gcloud logging sinks describe "$AUDIT_SINK" --organization="$ORG_ID" >/dev/null 2>&1; then
  gcloud logging sinks update "$AUDIT_SINK" "$audit_dest" --organization="$ORG_ID" \
    --log-filter="$audit_filter"
else
  gcloud logging sinks create "$AUDIT_SINK" "$audit_dest" --organization="$ORG_ID" \
    --include-children --log-filter="$audit_filter" \
    --description="Compute Engine metadata writes, for ssh-pruner --audit-logs"
fi
# The sink writes as its writer identity (serviceAccount:...), which must
# be allowed to write into a bucket of another resource than the sink's.
audit_writer=$(gcloud logging sinks describe "$AUDIT_SINK" --organization="$ORG_ID" \
  --format='value(writerIdentity)')
gcloud projects add-iam-policy-binding "$PROJECT_ID" \
  --member="$audit_writer" --role=roles/logging.bucketWriter --condition=None
if gcloud iam roles describe sshPrunerAuditLogs --project="$PROJECT_ID" >/dev/null 2>&1; then
  gcloud iam roles update sshPrunerAuditLogs --project="$PROJECT_ID" --file="$here/role-audit-logs.yaml" --quiet
else
  gcloud iam roles create sshPrunerAuditLogs --project="$PROJECT_ID" --file="$here/role-audit-logs.yaml"
fi
# The condition from a file: its expression holds "==" and quotes, which
# --condition=KEY=VALUE would have to carry through its own parsing.
audit_view="projects/$PROJECT_ID/locations/global/buckets/$AUDIT_BUCKET/views/$AUDIT_VIEW"
condition=$(mktemp)
trap 'rm -f "$condition"' EXIT
cat >"$condition" <<EOC
title: ssh-pruner audit view only
description: The log view ssh-pruner reads with --audit-logs, and nothing else of the project.
expression: resource.name == "$audit_view"
EOC
gcloud projects add-iam-policy-binding "$PROJECT_ID" \
  --member="serviceAccount:$GSA" --role="projects/$PROJECT_ID/roles/sshPrunerAuditLogs" \
  --condition-from-file="$condition"

# 8. The log-based metrics and the dashboard.
for f in "$here"/../monitoring/metrics/*.yaml; do
  name=$(basename "$f" .yaml)
  if gcloud logging metrics describe "$name" --project="$PROJECT_ID" >/dev/null 2>&1; then
    gcloud logging metrics update "$name" --project="$PROJECT_ID" --config-from-file="$f"
  else
    gcloud logging metrics create "$name" --project="$PROJECT_ID" --config-from-file="$f"
  fi
done
dashboard=$(gcloud monitoring dashboards list --project="$PROJECT_ID" \
  --filter='displayName="ssh-pruner"' --format='value(name)' | head -n1)
if [ -z "$dashboard" ]; then
  gcloud monitoring dashboards create --project="$PROJECT_ID" \
    --config-from-file="$here/../monitoring/dashboard.json"
fi
