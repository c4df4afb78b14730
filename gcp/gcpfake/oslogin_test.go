package gcpfake_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/api/option"
	oslogin "google.golang.org/api/oslogin/v1"
)

func TestOSLoginProfile(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	ctx := context.Background()
	svc, err := oslogin.NewService(ctx, option.WithEndpoint(e.url+"/"), option.WithoutAuthentication())
	require.NoError(t, err)

	p, err := svc.Users.GetLoginProfile("users/first.last@example.com").ProjectId("ci-runners-9d02").Context(ctx).Do()
	require.NoError(t, err)
	require.Len(t, p.PosixAccounts, 1)
	acct := p.PosixAccounts[0]
	require.True(t, acct.Primary)
	require.Equal(t, "first_last_example_com", acct.Username)
	require.Equal(t, "/home/first_last_example_com", acct.HomeDirectory)
	require.Equal(t, "LINUX", acct.OperatingSystemType)
	require.Equal(t, "ci-runners-9d02", acct.AccountId)
	require.Empty(t, p.SshPublicKeys)

	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJP79JyUKKuIljRM1lw3FlEza+jbVzgSTNtng5RVKP0g tester"
	imported, err := svc.Users.ImportSshPublicKey("users/first.last@example.com", &oslogin.SshPublicKey{Key: key, ExpirationTimeUsec: 1893456000000000}).
		ProjectId("ci-runners-9d02").Context(ctx).Do()
	require.NoError(t, err)
	require.Len(t, imported.LoginProfile.SshPublicKeys, 1)
	again, err := svc.Users.GetLoginProfile("users/first.last@example.com").Context(ctx).Do()
	require.NoError(t, err)
	for fp, k := range again.SshPublicKeys {
		require.Equal(t, key, k.Key)
		require.Equal(t, fp, k.Fingerprint)
		require.Equal(t, int64(1893456000000000), k.ExpirationTimeUsec)
		require.Equal(t, "users/first.last@example.com/sshPublicKeys/"+fp, k.Name)
	}

	for email, want := range map[string]string{
		"bob@contractor.io":                          "ext_bob_contractor_io",
		"ci@ci-runners-9d02.iam.gserviceaccount.com": "sa_",
		"a.very.long.name.indeed@example.com":        "a_very_long_name_indeed_example_",
	} {
		p, err := svc.Users.GetLoginProfile("users/" + email).Context(ctx).Do()
		require.NoError(t, err)
		require.Contains(t, p.PosixAccounts[0].Username, want)
		require.LessOrEqual(t, len(p.PosixAccounts[0].Username), 32)
	}

	_, err = svc.Users.GetLoginProfile("users/None").Context(ctx).Do()
	apiErr(t, err, http.StatusNotFound)
	_, err = svc.Users.ImportSshPublicKey("users/first.last@example.com", &oslogin.SshPublicKey{Key: "not a key"}).Context(ctx).Do()
	apiErr(t, err, http.StatusBadRequest)
}
