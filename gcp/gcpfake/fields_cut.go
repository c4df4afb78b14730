package gcpfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// cut keeps of a JSON body what s selects. It copies the bytes of what it
// keeps as they are, without decoding them: a page of 500 instances is
// cut in one pass and one buffer, where decoding it to maps and encoding
// it again cost the fake most of its speed on every partial answer.
func (s selection) cut(body []byte) ([]byte, error) {
	c := cutter{src: body}
	out, err := c.value(make([]byte, 0, len(body)), s)
	if err == nil {
		c.space()
		if c.i != len(c.src) {
			err = fmt.Errorf("trailing data at %d", c.i)
		}
	}
	return out, err
}

var errTruncated = errors.New("truncated JSON")

// cutter walks a JSON text the fake encoded; it checks only what it needs
// to find where each value ends.
type cutter struct {
	src []byte
	i   int
}

func (c *cutter) space() {
	for c.i < len(c.src) && (c.src[c.i] == ' ' || c.src[c.i] == '\n' || c.src[c.i] == '\t' || c.src[c.i] == '\r') {
		c.i++
	}
}

// peek is the next byte after blanks, 0 at the end.
func (c *cutter) peek() byte {
	c.space()
	if c.i < len(c.src) {
		return c.src[c.i]
	}
	return 0
}

// value appends to dst what sel selects of the value at c.i; a nil sel
// keeps it whole.
func (c *cutter) value(dst []byte, sel selection) ([]byte, error) {
	switch c.peek() {
	case '{':
		if sel != nil {
			return c.object(dst, sel)
		}
	case '[':
		if sel != nil {
			return c.array(dst, sel)
		}
	case 0:
		return dst, errTruncated
	}
	start := c.i
	err := c.skip()
	return append(dst, c.src[start:c.i]...), err
}

// object appends the members of the object at c.i that sel picks.
func (c *cutter) object(dst []byte, sel selection) ([]byte, error) {
	c.i++ // {
	dst = append(dst, '{')
	kept := 0
	for n := 0; ; n++ {
		switch b := c.peek(); {
		case b == '}':
			c.i++
			return append(dst, '}'), nil
		case n > 0 && b == ',':
			c.i++
		case n > 0:
			return dst, fmt.Errorf("want , or } at %d", c.i)
		}
		keyStart := c.i
		key, err := c.key()
		if err != nil {
			return dst, err
		}
		keyEnd := c.i
		if c.peek() != ':' {
			return dst, fmt.Errorf("want : at %d", c.i)
		}
		c.i++
		named, isNamed := sel[string(key)] // a lookup by string(key) copies nothing
		sub, ok := sel.orStar(named, isNamed)
		if !ok {
			if err := c.skip(); err != nil {
				return dst, err
			}
			continue
		}
		if kept > 0 {
			dst = append(dst, ',')
		}
		kept++
		dst = append(append(dst, c.src[keyStart:keyEnd]...), ':')
		if dst, err = c.value(dst, sub); err != nil {
			return dst, err
		}
	}
}

// array appends each element of the array at c.i, cut to sel.
func (c *cutter) array(dst []byte, sel selection) ([]byte, error) {
	c.i++ // [
	dst = append(dst, '[')
	for n := 0; ; n++ {
		switch b := c.peek(); {
		case b == ']':
			c.i++
			return append(dst, ']'), nil
		case n > 0 && b == ',':
			c.i++
			dst = append(dst, ',')
		case n > 0:
			return dst, fmt.Errorf("want , or ] at %d", c.i)
		}
		var err error
		if dst, err = c.value(dst, sel); err != nil {
			return dst, err
		}
	}
}

// key reads a member's name, unescaped.
func (c *cutter) key() ([]byte, error) {
	if c.peek() != '"' {
		return nil, fmt.Errorf("want a member name at %d", c.i)
	}
	start := c.i
	if err := c.skip(); err != nil {
		return nil, err
	}
	raw := c.src[start:c.i]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], nil
	}
	var k string
	err := json.Unmarshal(raw, &k)
	return []byte(k), err
}

// skip moves past the value at c.i.
func (c *cutter) skip() error {
	switch c.peek() {
	case 0:
		return errTruncated
	case '"':
		return c.skipString()
	case '{', '[':
		return c.skipNested()
	}
	for c.i < len(c.src) && strings.IndexByte(",}] \n\t\r", c.src[c.i]) < 0 {
		c.i++ // a number, true, false or null
	}
	return nil
}

func (c *cutter) skipString() error {
	for c.i++; c.i < len(c.src); c.i++ {
		switch c.src[c.i] {
		case '\\':
			c.i++
		case '"':
			c.i++
			return nil
		}
	}
	return errTruncated
}

// skipNested moves past an object or array, strings and all.
func (c *cutter) skipNested() error {
	depth := 0
	for c.i < len(c.src) {
		switch c.src[c.i] {
		case '"':
			if err := c.skipString(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		c.i++
		if depth == 0 {
			return nil
		}
	}
	return errTruncated
}
