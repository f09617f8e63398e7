"""AWS API patterns are Java regular expressions: translate the Java-only parts and match the whole value."""

from __future__ import annotations

from functools import lru_cache

import regex

# java.util.regex.Pattern: the POSIX classes \p{Alpha}, \p{Print}, ... are US-ASCII only (unless the service
# compiles with UNICODE_CHARACTER_CLASS), while the `regex` package reads them as Unicode properties.
# https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/util/regex/Pattern.html ("POSIX character
# classes (US-ASCII only)", "java.lang.Character classes", "Classes for Unicode scripts, blocks, categories").
_JAVA_PROPERTY_SETS = {
    "Lower": r"a-z",
    "Upper": r"A-Z",
    "ASCII": r"\x00-\x7F",
    "Alpha": r"a-zA-Z",
    "Digit": r"0-9",
    "Alnum": r"a-zA-Z0-9",
    "Punct": r"!-/:-@\[-`{-~",
    "Graph": r"!-~",
    "Print": r"\x20-\x7E",
    "Blank": r" \t",
    "Cntrl": r"\x00-\x1F\x7F",
    "XDigit": r"0-9a-fA-F",
    "Space": r" \t\n\x0B\f\r",
    "all": r"\x00-\U0010FFFF",
    "IsAlphabetic": r"\p{Alphabetic}",
    "IsWhitespace": r"\p{White_Space}",
}

# java.util.regex's predefined classes \w \d \s are ASCII-only by default ("Predefined character classes");
# spelled out here because the `regex` ASCII flag would also narrow \p{L} to ASCII.
_JAVA_SHORTHAND_SETS = {"w": r"a-zA-Z0-9_", "d": r"0-9", "s": r" \t\n\x0B\f\r"}

# One escape at a time, so an escaped backslash (\\w is a backslash and a w) is never read as \w:
# - a pair of escaped UTF-16 surrogates (\uD800\uDC00) is one supplementary code point to Java; Python would
#   read two lone surrogates and reject a range such as \uD800\uDC00-\uDBFF\uDFFF;
# - \x{h...h} is Java's code-point escape, which `regex` does not know;
# - the POSIX and java.lang.Character property classes above, and the ASCII shorthands.
_JAVA_ESCAPE = regex.compile(
    r"\\\\"
    r"|\\u(?P<high>[dD][89abAB][0-9a-fA-F]{2})\\u(?P<low>[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|\\x\{(?P<code>[0-9a-fA-F]{1,6})\}"
    r"|\\(?P<property_sign>[pP])\{(?P<property>" + "|".join(_JAVA_PROPERTY_SETS) + r")\}"
    r"|\\(?P<shorthand>[wdsWDS])"
)


class UnsupportedPattern(ValueError):
    """A pattern this translation cannot compile: the value is reported as unchecked, never as wrong."""


def _translate_escape(match: regex.Match) -> str:
    if match.group("high"):
        high, low = int(match.group("high"), 16), int(match.group("low"), 16)
        return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"
    if match.group("code"):
        return f"\\U{int(match.group('code'), 16):08X}"
    if match.group("property"):
        negation = "^" if match.group("property_sign") == "P" else ""
        return f"[{negation}{_JAVA_PROPERTY_SETS[match.group('property')]}]"
    if match.group("shorthand"):
        letter = match.group("shorthand")
        return f"[{'^' if letter.isupper() else ''}{_JAVA_SHORTHAND_SETS[letter.lower()]}]"
    return match.group(0)


def translate(java_pattern: str) -> str:
    """The Java pattern as a `regex` (VERSION1) pattern with the same meaning."""
    return _JAVA_ESCAPE.sub(_translate_escape, java_pattern)


@lru_cache(maxsize=4096)
def compile_java(java_pattern: str) -> regex.Pattern:
    """Compile once; UnsupportedPattern when even the translation is not a valid pattern."""
    try:
        # VERSION1: nested sets, so a translated \p{Print} or \w may sit inside a [...] class, as in Java.
        return regex.compile(translate(java_pattern), regex.VERSION1)
    except regex.error as error:
        raise UnsupportedPattern(f"{java_pattern!r}: {error}") from error


def matches_whole(java_pattern: str, value: str) -> bool:
    """AWS matches a pattern against the whole value, as Java's Matcher.matches() does: the quoted table name
    '"smart-dcb-messages"' fails DynamoDB's [a-zA-Z0-9_.-]+ although the name inside it matches
    (aws/aws-cli#790, ValidationException "Member must satisfy regular expression pattern")."""
    return compile_java(java_pattern).fullmatch(value) is not None
