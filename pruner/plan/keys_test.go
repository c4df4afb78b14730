package plan

import "time"

// Keys made with ssh-keygen -t ed25519 for these tests only.
const (
	accessKeyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnSpiLgtrZ8YjS2DBrU3MZJcJSZh3jzuJy4ThKpYz2q"
	accessKeyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQqk5oU7rUOYf2hJYNiL9NmX7qZGb6F2Vs1B6Rt7OlP"
	accessKeyC = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIaIJntc9YQdhQiH5zslJ1G5P0rqNseg8SRUMoHeOpax"
)

var accessNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func items(kv ...string) []Item {
	var out []Item
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		out = append(out, Item{Key: kv[i], Value: &v})
	}
	return out
}

// What the external tests (package plan_test) take from these.
const KeyA, KeyB, KeyC = accessKeyA, accessKeyB, accessKeyC

var (
	Now     = accessNow
	ItemsOf = items
)
