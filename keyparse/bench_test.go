package keyparse

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// BenchmarkParse reads a full 256 KiB value of about 600 keys, the mix a
// busy project holds: half RSA 3072, a third Ed25519, the rest ECDSA;
// most with gcloud's google-ssh comment, some with a plain one.
func BenchmarkParse(b *testing.B) {
	v := benchValue(maxValue)
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		Parse(v)
	}
	b.ReportMetric(float64(strings.Count(v, "\n")), "keys/op")
}

var benchValues sync.Map // size -> string

// benchValue is a value of at most size bytes made of realistic key lines,
// the same for every run: the keys come from a seeded generator. The RSA
// moduli are random odd 3072-bit numbers rather than products of two
// primes: they read, marshal and hash exactly as real ones, and cost
// nothing to make.
func benchValue(size int) string {
	if v, ok := benchValues.Load(size); ok {
		return v.(string)
	}
	rng := rand.New(rand.NewChaCha8([32]byte{'k', 'e', 'y', 'p', 'a', 'r', 's', 'e'}))
	var b strings.Builder
	for i := 0; ; i++ {
		line := benchLine(rng, i) + "\n"
		if b.Len()+len(line) > size {
			break
		}
		b.WriteString(line)
	}
	v, _ := benchValues.LoadOrStore(size, b.String())
	return v.(string)
}

func benchLine(rng *rand.Rand, i int) string {
	user := fmt.Sprintf("user%03d", i%250)
	var pub ssh.PublicKey
	switch n := rng.IntN(100); {
	case n < 50:
		pub = benchRSA(rng)
	case n < 80:
		pub = benchEd25519(rng)
	case n < 92:
		pub = benchECDSA(rng, ecdh.P256(), elliptic.P256())
	case n < 97:
		pub = benchECDSA(rng, ecdh.P384(), elliptic.P384())
	default:
		pub = benchECDSA(rng, ecdh.P521(), elliptic.P521())
	}
	key := pub.Type() + " " + base64.StdEncoding.EncodeToString(pub.Marshal())
	if rng.IntN(100) < 20 {
		return user + ":" + key + " " + user + "@workstation-" + fmt.Sprint(rng.IntN(100))
	}
	// gcloud's expiries: a few minutes to a few days around now.
	expire := now.Add(time.Duration(rng.IntN(14*24)-7*24) * time.Hour).Format("2006-01-02T15:04:05-0700")
	return fmt.Sprintf(`%s:%s google-ssh {"userName":"%s@example.com","expireOn":"%s"}`, user, key, user, expire)
}

func benchRSA(rng *rand.Rand) ssh.PublicKey {
	buf := make([]byte, 3072/8)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	buf[0] |= 0x80
	buf[len(buf)-1] |= 1
	pub, err := ssh.NewPublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(buf), E: 65537})
	if err != nil {
		panic(err)
	}
	return pub
}

func benchEd25519(rng *rand.Rand) ssh.PublicKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(rng.Uint32())
	}
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
	if err != nil {
		panic(err)
	}
	return pub
}

func benchECDSA(rng *rand.Rand, c ecdh.Curve, curve elliptic.Curve) ssh.PublicKey {
	scalar := make([]byte, (curve.Params().BitSize+7)/8)
	for {
		for i := range scalar {
			scalar[i] = byte(rng.Uint32())
		}
		if curve == elliptic.P521() {
			scalar[0] &= 1
		}
		priv, err := c.NewPrivateKey(scalar)
		if err != nil {
			continue // out of range: draw again
		}
		key, err := ecdsa.ParseUncompressedPublicKey(curve, priv.PublicKey().Bytes())
		if err != nil {
			panic(err)
		}
		pub, err := ssh.NewPublicKey(key)
		if err != nil {
			panic(err)
		}
		return pub
	}
}
