#!/usr/bin/env bash
# Sets up the Google side of deploy/: the service account, the custom roles,
# the organization-level binding, the log writer binding, the Workload
# Identity binding of the Kubernetes service account, and the bucket of the
# pruner's state with its one binding.
#
# Run it as someone who may create organization roles and change the
# organization's IAM policy (roles/iam.organizationRoleAdmin and
# roles/resourcemanager.organizationAdmin), for example:
#   ORG_ID=123456789012 PROJECT_ID=my-security-project deploy/iam/setup.sh
# MODE=dry-run binds the read-only role instead (for deploy/overlays/dry-run).
# STATE_BUCKET (default PROJECT_ID-ssh-pruner-state) must match the bucket of
# SSH_PRUNER_STATE in deploy/base/config.env; STATE_LOCATION is its location.
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

# 7. The log-based metrics and the dashboard.
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
