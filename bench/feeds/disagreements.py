#!/usr/bin/env python3
"""Sorts the field disagreements of a feedcorpus run (../shared/tools/feedcorpus/compare.py --out DIR)
into those where feedparser is right and those where it is not, with the reason, and prints the
agreement counting only the first kind (issue 13's measure).

    python3 bench/feeds/disagreements.py DIR            # DIR holds results.jsonl and summary.json

Every rule below is a judgement written down; a disagreement no rule explains counts as feedparser
being right.
"""
import collections
import html
import json
import re
import sys

TAG = re.compile(r'<[^>]*>')


def as_text(s):
    """The text of an HTML fragment, white space ignored."""
    s = s or ''
    for _ in range(2):
        s = html.unescape(TAG.sub('', s))
    return ''.join(s.split())


def title_reason(rel, i):
    ref, nm = i['ref_title'] or '', i['nm_title'] or ''
    if '/chardet/' in rel:
        return False, 'feedparser mis-decodes an undeclared legacy charset (mojibake)'
    if as_text(ref) == ''.join(nm.split()) or as_text(ref) == as_text(nm):
        return False, 'feedparser returns the title as HTML (tags, &amp;, &#x24;); newsmirror as text'
    if nm == '(无标题)' and (not as_text(ref) or '<img' in ref):
        return False, 'the title is markup without text (an image): no text'
    if nm == '(无标题)' and ('item_category_image' in rel or 'enclosure_children' in rel):
        return False, "feedparser takes a nested element's title (a category image, an enclosure) as the item's"
    if html.unescape(ref) == nm or html.unescape(html.unescape(ref)) == nm:
        return False, 'escaped markup in the title is its text (feedparser keeps it escaped)'
    if 'sanitize/' in rel and '<script' in ref.lower() or 'entry_title_crazy' in rel:
        return False, 'feedparser keeps comments/script markup in the title'
    return True, 'unexplained'


def link_reason(rel, i):
    kind, ref = i['link'], i['ref_link'] or ''
    if kind.startswith('nm-none; ref link is the Atom id'):
        if '_content_location' in rel:
            return True, 'feedparser resolves against the HTTP Content-Location header (not passed to the parser)'
        return False, 'feedparser uses an Atom id that is not a web URL (urn:, tag:, or relative) as the link'
    if kind.startswith('nm-none; ref link is the RSS guid'):
        return False, 'feedparser resolves a guid that is no URL ("abc123") into a link'
    if kind == 'differs' and '_content_location' in rel:
        return True, 'feedparser resolves against the HTTP Content-Location header (not passed to the parser)'
    if kind == 'differs' and ('item_links' in rel):
        return False, 'two <link> elements: feedparser takes the last, newsmirror the first'
    if kind == 'differs' and 'at_protocol' in rel:
        return True, 'feedparser takes a non-standard uri="at://…" attribute over the <link> text (debatable)'
    return True, 'unexplained'


def date_reason(rel, i):
    kind = i['date']
    if kind == 'nm-dated-ref-undated':
        return False, 'feedparser finds no date (Italian/Portuguese names, created / dcterms:created only)'
    if kind.startswith('offset-+12h') and 'PM' in (i['ref_date_raw'] or ''):
        return False, 'feedparser ignores PM'
    if 'multiple_values' in rel:
        return True, 'two <updated> in one entry: feedparser takes the last, newsmirror the first (debatable)'
    return True, 'unexplained'


def content_reason(rel, i):
    if i['content'] == 'nm-only':
        return False, 'newsmirror appends the enclosure links to an item with no text (decided)'
    return True, 'unexplained'


RULES = {'title': (('ok', 'ok-truncated'), title_reason), 'link': (('ok',), link_reason),
         'date': (('ok',), date_reason), 'content': (('ok', 'both-empty'), content_reason)}


def main():
    d = sys.argv[1]
    matched = 0
    table = collections.defaultdict(lambda: collections.defaultdict(list))
    for line in open(d + '/results.jsonl'):
        r = json.loads(line)
        if r['kind'] == 'nonfeed':   # as compare.py's summary: documents it classed as no feed
            continue
        for i in r['items']:
            if not i.get('archived'):
                continue
            matched += 1
            for field, (good, why) in RULES.items():
                if i[field] not in good:
                    right, reason = why(r['rel'], i)
                    table[field][(right, reason)].append(r['rel'])
    for field in RULES:
        fp_right = sum(len(v) for (right, _), v in table[field].items() if right)
        print('%s: %d disagreements where feedparser is right of %d matched -> %.2f %% agreement' % (
            field, fp_right, matched, 100.0 * (1 - fp_right / matched)))
        for (right, reason), rels in sorted(table[field].items(), key=lambda kv: (not kv[0][0], -len(kv[1]))):
            print('  %s %4d  %s  e.g. %s' % ('FP-RIGHT' if right else 'fp-wrong', len(rels), reason, rels[0]))


if __name__ == '__main__':
    main()
