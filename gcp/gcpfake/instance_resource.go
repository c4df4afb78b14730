package gcpfake

import (
	"maps"
	"slices"
	"strings"
)

// computeInstance is the part of compute#instance the fake serves: what
// ssh-pruner reads (metadata, status, labels, the boot disk's licenses,
// resourceStatus.effectiveInstanceMetadata where the seed gives it) and
// what gcloud compute ssh needs to connect (nic0's addresses, the boot
// disk's guest OS features, which tell it a Windows VM). A fields
// parameter may name only these (fields.go).
type computeInstance struct {
	Kind               string             `json:"kind"`
	ID                 string             `json:"id"`
	CreationTimestamp  string             `json:"creationTimestamp"`
	Name               string             `json:"name"`
	Tags               computeTags        `json:"tags"`
	MachineType        string             `json:"machineType"`
	Status             string             `json:"status"`
	Zone               string             `json:"zone"`
	CanIPForward       bool               `json:"canIpForward"`
	NetworkInterfaces  []networkInterface `json:"networkInterfaces"`
	Disks              []attachedDisk     `json:"disks"`
	Metadata           computeMetadata    `json:"metadata"`
	ServiceAccounts    []serviceAccount   `json:"serviceAccounts,omitempty"`
	SelfLink           string             `json:"selfLink"`
	CPUPlatform        string             `json:"cpuPlatform"`
	Labels             map[string]string  `json:"labels,omitempty"`
	LabelFingerprint   string             `json:"labelFingerprint"`
	DeletionProtection bool               `json:"deletionProtection"`
	Fingerprint        string             `json:"fingerprint"`
	ResourceStatus     *resourceStatus    `json:"resourceStatus,omitempty"`
}

type resourceStatus struct {
	EffectiveInstanceMetadata *effectiveMetadata `json:"effectiveInstanceMetadata,omitempty"`
}

type effectiveMetadata struct {
	BlockProjectSSHKeys bool `json:"blockProjectSshKeysMetadataValue"`
	EnableOSLogin       bool `json:"enableOsloginMetadataValue"`
}

type computeTags struct {
	Fingerprint string `json:"fingerprint"`
}

type networkInterface struct {
	Kind          string         `json:"kind"`
	Network       string         `json:"network"`
	Subnetwork    string         `json:"subnetwork"`
	NetworkIP     string         `json:"networkIP"`
	Name          string         `json:"name"`
	AccessConfigs []accessConfig `json:"accessConfigs,omitempty"`
	Fingerprint   string         `json:"fingerprint"`
	StackType     string         `json:"stackType"`
}

type accessConfig struct {
	Kind        string `json:"kind"`
	Type        string `json:"type"`
	Name        string `json:"name"`
	NatIP       string `json:"natIP,omitempty"`
	NetworkTier string `json:"networkTier"`
}

type attachedDisk struct {
	Kind            string           `json:"kind"`
	Type            string           `json:"type"`
	Mode            string           `json:"mode"`
	Source          string           `json:"source"`
	DeviceName      string           `json:"deviceName"`
	Index           int              `json:"index"`
	Boot            bool             `json:"boot"`
	AutoDelete      bool             `json:"autoDelete"`
	Licenses        []string         `json:"licenses"`
	Interface       string           `json:"interface"`
	GuestOsFeatures []guestOsFeature `json:"guestOsFeatures"`
	DiskSizeGb      string           `json:"diskSizeGb"`
	Architecture    string           `json:"architecture"`
}

type guestOsFeature struct {
	Type string `json:"type"`
}

type serviceAccount struct {
	Email  string   `json:"email"`
	Scopes []string `json:"scopes"`
}

// publicImagesBase prefixes the links to licenses of Google's public image
// projects, which the fake does not serve: they are the service's own.
const publicImagesBase = "https://www.googleapis.com/compute/v1/"

// Boot disk licenses and guest OS features of the two images the fake
// knows: gcloud tells a Windows VM by the WINDOWS feature (OS Login is not
// offered there), tools that read licenses by the windows-cloud project.
var (
	linuxLicenses   = []string{publicImagesBase + "projects/debian-cloud/global/licenses/debian-12-bookworm"}
	windowsLicenses = []string{publicImagesBase + "projects/windows-cloud/global/licenses/windows-server-2022-dc"}
	linuxFeatures   = []guestOsFeature{{"UEFI_COMPATIBLE"}, {"VIRTIO_SCSI_MULTIQUEUE"}, {"GVNIC"}, {"SEV_CAPABLE"}}
	windowsFeatures = []guestOsFeature{{"MULTI_IP_SUBNET"}, {"UEFI_COMPATIBLE"}, {"VIRTIO_SCSI_MULTIQUEUE"}, {"GVNIC"}, {"WINDOWS"}}
)

// emptyLabelFingerprint is the label fingerprint of a resource without labels.
const emptyLabelFingerprint = "42WmSpB8rSM="

// released tells whether an instance in this status has given back an
// ephemeral external address, as a stopped or suspended VM does.
func released(status string) bool {
	return status == "TERMINATED" || status == "STOPPED" || status == "SUSPENDED"
}

func renderInstance(base, project string, in *instanceState) computeInstance {
	zoneLink := base + "projects/" + project + "/zones/" + in.Zone
	self := base + instanceName(project, in.Zone, in.Name)
	nic := networkInterface{
		Kind:       "compute#networkInterface",
		Network:    base + "projects/" + project + "/global/networks/default",
		Subnetwork: base + "projects/" + project + "/regions/" + regionOf(in.Zone) + "/subnetworks/default",
		NetworkIP:  in.networkIP, Name: "nic0",
		Fingerprint: fingerprint(self+"#nic0", 1), StackType: "IPV4_ONLY",
	}
	if in.natIP != "" {
		ac := accessConfig{Kind: "compute#accessConfig", Type: "ONE_TO_ONE_NAT", Name: "External NAT", NetworkTier: "PREMIUM"}
		if in.staticNatIP || !released(in.Status) {
			ac.NatIP = in.natIP
		}
		nic.AccessConfigs = []accessConfig{ac}
	}
	disk := attachedDisk{
		Kind: "compute#attachedDisk", Type: "PERSISTENT", Mode: "READ_WRITE",
		Source: zoneLink + "/disks/" + in.Name, DeviceName: in.Name, Boot: true, AutoDelete: true,
		Licenses: linuxLicenses, Interface: "SCSI", GuestOsFeatures: linuxFeatures,
		DiskSizeGb: "10", Architecture: "X86_64",
	}
	if in.Windows {
		disk.Licenses, disk.GuestOsFeatures, disk.DiskSizeGb = windowsLicenses, windowsFeatures, "50"
	}
	out := computeInstance{
		Kind: "compute#instance", ID: in.ID, CreationTimestamp: computeTime(in.created), Name: in.Name,
		Tags:        computeTags{Fingerprint: emptyLabelFingerprint},
		MachineType: zoneLink + "/machineTypes/e2-medium", Status: in.Status, Zone: zoneLink,
		NetworkInterfaces: []networkInterface{nic},
		Disks:             []attachedDisk{disk},
		Metadata:          computeMetadata{Kind: "compute#metadata", Fingerprint: in.md.fp, Items: in.md.items},
		SelfLink:          self,
		CPUPlatform:       "Intel Broadwell",
		Labels:            in.Labels,
		LabelFingerprint:  labelFingerprint(in.Labels),
		// Every change to the instance moves its fingerprint; here only
		// metadata changes.
		Fingerprint: fingerprint(self+"#instance", in.md.gen),
	}
	if released(in.Status) {
		out.CPUPlatform = "Unknown CPU Platform"
	}
	if e := in.Effective; e != nil {
		out.ResourceStatus = &resourceStatus{&effectiveMetadata{BlockProjectSSHKeys: e.BlockProjectSSHKeys, EnableOSLogin: e.EnableOSLogin}}
	}
	if in.ServiceAccount != "" {
		out.ServiceAccounts = []serviceAccount{{Email: in.ServiceAccount, Scopes: []string{"https://www.googleapis.com/auth/cloud-platform"}}}
	}
	return out
}

func labelFingerprint(labels map[string]string) string {
	if len(labels) == 0 {
		return emptyLabelFingerprint
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		b.WriteString(k + "=" + labels[k] + ";")
	}
	return fingerprint(b.String(), 0)
}

// regionOf is the region of a zone: europe-west1 for europe-west1-b.
func regionOf(zone string) string {
	if i := strings.LastIndexByte(zone, '-'); i > 0 {
		return zone[:i]
	}
	return zone
}
