#!/usr/bin/env python3
"""Wraps C# lines longer than the project's limit (120 columns) without changing what the code means.

Usage: data-scripts/wrap-lines.py FILE.cs...   (rewrites the files in place; prints the lines it could not wrap)

Breaks go only where C# ignores whitespace: between tokens outside strings, comments and interpolation holes,
preferring the shallowest bracket depth, then (in order) after `if (...)`/`for (...)` heads, after commas and
semicolons, around operators (`&&`, `||`, `??`, `+`, `=>`, `=`), after an opening parenthesis or before a `.Method`
in a chain. A string literal that alone runs past the limit is cut at a space into two literals joined by `+` (same
string; the same interpolation kind); a trailing `//` comment moves above its line; a `//` or `///` comment line is
re-flowed. Continuation lines are indented four spaces past the line they came from. Check the result by building:
the compiler sees the same tokens, apart from the split literals.
"""
import re
import sys

LIMIT = 120


def lex(text):
    """Classifies every character: 'c' code, 'h' code inside an interpolation hole, 's' string, 'm' comment.
    Also returns the string literals as (start, end, prefix, splittable)."""
    n = len(text)
    cls = ['c'] * n
    strings = []
    holes = []

    def skip_string(i, hole):
        # i at the first char of a string literal's prefix; returns the index after it
        j = i
        while j < n and text[j] in '$@':
            j += 1
        prefix = text[i:j]
        dollars = prefix.count('$')
        verbatim = '@' in prefix
        if text.startswith('"""', j):
            q = j
            while q < n and text[q] == '"':
                q += 1
            quotes = q - j
            end = text.find('"' * quotes, q)
            end = n if end < 0 else end + quotes
            for k in range(i, end):
                cls[k] = 's'
            strings.append((i, end, prefix, False))
            return end
        j += 1  # opening quote
        k = j
        while k < n:
            ch = text[k]
            if ch == '"':
                if verbatim and k + 1 < n and text[k + 1] == '"':
                    k += 2
                    continue
                k += 1
                break
            if ch == '\\' and not verbatim:
                k += 2
                continue
            if dollars and ch == '{':
                if k + 1 < n and text[k + 1] == '{':
                    k += 2
                    continue
                for m in range(i, k + 1):
                    if cls[m] == 'c':
                        cls[m] = 's'
                e = lex_code(k + 1, hole=True)
                holes.append((k, e))
                k = e
                continue
            if ch == '\n' and not verbatim:
                break
            k += 1
        for m in range(i, k):
            if cls[m] == 'c':
                cls[m] = 's'
        strings.append((i, k, prefix, not verbatim and not hole))
        return k

    def lex_code(i, hole):
        depth = 0
        start = i
        while i < n:
            ch = text[i]
            if hole:
                cls[i] = 'h'
            if ch == '/' and text.startswith('//', i):
                e = text.find('\n', i)
                e = n if e < 0 else e
                for k in range(i, e):
                    cls[k] = 'm'
                i = e
                continue
            if ch == '/' and text.startswith('/*', i):
                e = text.find('*/', i + 2)
                e = n if e < 0 else e + 2
                for k in range(i, e):
                    cls[k] = 'm'
                i = e
                continue
            if ch == "'":
                k = i + 1
                while k < n and text[k] != "'":
                    k += 2 if text[k] == '\\' else 1
                for m in range(i, min(k + 1, n)):
                    cls[m] = 's'
                i = k + 1
                continue
            if ch == '"' or (ch in '$@' and re.match(r'[$@]+"', text[i:i + 4])):
                prev = text[i - 1] if i > 0 else ' '
                if ch == '"' or not (prev.isalnum() or prev == '_'):
                    i = skip_string(i, hole)
                    continue
            if ch in '([{':
                depth += 1
            elif ch in ')]}':
                if hole and depth == 0 and ch == '}':
                    cls[i] = 's'
                    return i + 1
                depth -= 1
            elif hole and depth == 0 and ch == ':':
                # a format specifier runs to the hole's end
                e = text.find('}', i)
                e = n if e < 0 else e
                for k in range(i, e + 1):
                    cls[k] = 's'
                return e + 1
            i += 1
        return i

    lex_code(0, hole=False)
    return cls, strings, holes


OPS_BEFORE = ('&& ', '|| ', '?? ', '+ ', '? ', ': ')


def candidates(line, lcls, indent_len):
    """Break points in one line: (position, kind priority, relative depth, insert) where insert means a newline is
    inserted at the position instead of replacing a space."""
    out = []
    depth = 0
    for j, ch in enumerate(line):
        c = lcls[j]
        if c == 'c' and ch in '([{':
            depth += 1
        elif c == 'c' and ch in ')]}':
            depth -= 1
        if j <= indent_len or c != 'c':
            continue
        prev = line[j - 1]
        rest = line[j + 1:]
        if ch == ' ' and lcls[j - 1] in 'cs' and j + 1 < len(line):
            if prev == ')' and depth == 0 and re.match(r'[A-Za-z_]', rest) and not rest.startswith(('when', 'is ')):
                out.append((j, 5, depth, False))
            elif prev in ',;':
                out.append((j, 6 if rest.startswith('else') else 4, depth, False))
            elif rest.startswith(OPS_BEFORE[:4]) or rest.startswith('? ') or (rest.startswith(': ') and ' ? ' in line[:j]):
                if not rest.startswith('+ ') or lcls[j + 1] == 'c':
                    out.append((j, 3, depth, False))
            elif line[j - 2:j] == '=>':
                out.append((j, 3, depth, False))
            elif prev == '=' and line[j - 2] not in '=!<>+-*/|&?':
                out.append((j, 2, depth, False))
        elif ch == '(' and j + 1 < len(line) and line[j + 1] not in ') ':
            out.append((j + 1, 1, depth, True))
        elif ch == '.' and prev == ')' and re.match(r'[A-Z]', rest):
            out.append((j, 1, depth, True))
    return out


def wrap_comment(line, indent):
    m = re.match(r'(\s*)(///?\s?)(.*)$', line)
    prefix = m.group(1) + m.group(2)
    words = m.group(3).split(' ')
    lines, cur = [], prefix
    for w in words:
        if cur != prefix and len(cur) + 1 + len(w) > LIMIT:
            lines.append(cur.rstrip())
            cur = prefix + w
        else:
            cur = cur + (' ' if cur != prefix else '') + w
    lines.append(cur.rstrip())
    return '\n'.join(lines)


def wrap_once(text):
    """Applies one break to the first long line it can break; returns (new text, changed, unwrappable lines)."""
    cls, strings, holes = lex(text)
    pos = 0
    stuck = []
    for line in text.split('\n'):
        start = pos
        pos += len(line) + 1
        if len(line) <= LIMIT:
            continue
        lcls = cls[start:start + len(line)]
        indent = len(line) - len(line.lstrip(' '))
        if line.lstrip().startswith('#') or (start > 0 and cls[start - 1] == 's'):
            stuck.append(line)
            continue
        # a whole comment line: re-flow it
        if lcls[indent] == 'm' and line.lstrip().startswith('//'):
            summary = re.match(r'(\s*)/// <summary>(.*)</summary>\s*$', line)
            if summary:
                pad = summary.group(1)
                body = wrap_comment(f'{pad}/// {summary.group(2).strip()}', indent)
                new = f'{pad}/// <summary>\n{body}\n{pad}/// </summary>'
                return text[:start] + new + text[start + len(line):], True, stuck
            return text[:start] + wrap_comment(line, indent) + text[start + len(line):], True, stuck
        # a trailing // comment: above the line
        cpos = next((j for j in range(indent, len(line)) if lcls[j] == 'm' and line.startswith('//', j)), None)
        if cpos is not None:
            code = line[:cpos].rstrip()
            comment = ' ' * indent + line[cpos:]
            return text[:start] + comment + '\n' + code + text[start + len(line):], True, stuck
        # a literal continuing a literal keeps its indentation; anything else continues four spaces in
        first_is_string = start + indent < len(cls) and cls[start + indent] == 's'
        cont = ' ' * (indent + (0 if first_is_string else 4))
        cands = [c for c in candidates(line, lcls, indent) if indent + 8 < c[0] <= LIMIT]
        def fits(c):
            return len(cont) + len(line) - c[0] - (0 if c[3] else 1) <= LIMIT
        good = [c for c in cands if c[0] >= 60 or fits(c)]
        chosen = None
        if good:
            chosen = min(good, key=lambda c: (c[2], -c[1], -c[0]))
        elif cands:
            chosen = min(cands, key=lambda c: (c[2], -c[1], -c[0]))
        if chosen is not None:
            j, _, _, insert = chosen
            head = line[:j].rstrip()
            tail = line[j:] if insert else line[j + 1:]
            return text[:start] + head + '\n' + cont + tail.lstrip() + text[start + len(line):], True, stuck
        # a string literal running past the limit: cut it at a space
        for (s, e, prefix, ok) in strings:
            if not ok or not (start <= s < start + LIMIT - 10 and e > start + LIMIT - 8):
                continue
            after = text[e:e + 2].lstrip()[:1]
            if after in '.[':
                continue
            body_start = s + len(prefix) + 1
            cut = None
            for k in range(min(start + LIMIT - 4, e - 2), body_start + 8, -1):
                if text[k] == ' ' and cls[k] == 's' and cls[k - 1] == 's' and \
                        not any(a <= k < b for a, b in holes):
                    cut = k + 1
                    break
            if cut is None:
                continue
            # the cut-off piece keeps $ only if it has an interpolation (and then keeps {{ }} escapes as they are)
            rest_prefix = prefix if any(cut <= a < e for a, _ in holes) or '{' in text[cut:e] or '}' in text[cut:e] \
                else prefix.replace('$', '')
            head_prefix_ok = any(s <= a < cut for a, _ in holes) or '{' in text[s:cut] or '}' in text[s:cut]
            if not head_prefix_ok and '$' in prefix:
                text = text[:s] + prefix.replace('$', '') + text[s + len(prefix):]
                cut -= prefix.count('$')
            new = text[:cut] + '" +\n' + cont + rest_prefix + '"' + text[cut:]
            return new, True, stuck
        stuck.append(line)
    return text, False, stuck


def main():
    status = 0
    for path in sys.argv[1:]:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        for _ in range(5000):
            text, changed, stuck = wrap_once(text)
            if not changed:
                break
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        for line in stuck:
            print(f'{path}: not wrapped: {line.strip()[:100]}')
            status = 1
    return status


if __name__ == '__main__':
    sys.exit(main())
