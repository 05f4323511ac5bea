//! Synthetic cases for the demo and the benchmarks: realistic and deterministic (the same
//! seed gives the same cases), across the given courts, with hearings over the coming six
//! weeks (some today), an IDPC generated as a PDF for each defendant, several defendants on
//! some cases, and the names that break systems: hyphens, apostrophes, accents, Welsh names,
//! very long and very short names, people known by one name, companies.

use super::{
    import::{CaseDoc, DefendantDoc, HearingDoc, MaterialDoc, OffenceDoc, Party},
    pdf::{self, Line},
    urn::Urn,
};
use crate::date::Date;

const FIRST: &[&str] = &[
    "Siân",
    "Rhys",
    "Dafydd",
    "Gwenllian",
    "Llŷr",
    "Ffion",
    "Ioan",
    "Angharad",
    "Owain",
    "Nia",
    "Mohammed",
    "Olivia",
    "Amelia",
    "Oliver",
    "Noah",
    "Isla",
    "Jack",
    "Aisha",
    "Zoë",
    "José",
    "Chloé",
    "Łukasz",
    "Anne-Marie",
    "Jean-Luc",
    "Mary Ann",
    "Al",
    "Bo",
    "Jo",
    "Maximilian-Alexander",
    "Keira",
    "Tomasz",
    "Priya",
    "Chidi",
    "Ngozi",
    "Seán",
    "Aoife",
    "Eilidh",
    "Ruairí",
    "D'Arcy",
];
const LAST: &[&str] = &[
    "Jones",
    "Williams",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Hughes",
    "Lewis",
    "ap Gwilym",
    "Llywelyn",
    "Smith",
    "Brown",
    "Taylor",
    "Wilson",
    "O’Brien",
    "O'Neill",
    "D’Souza",
    "McDonald",
    "Smith-Jones",
    "Ffrancon-Davies",
    "Nowak",
    "Kowalczyk",
    "Ng",
    "Li",
    "Ó Súilleabháin",
    "Wolfeschlegelsteinhausenbergerdorff",
    "Khan",
    "Patel",
    "Okafor",
    "Müller",
    "García",
    "Ede",
];
const ONE_NAME: &[&str] = &["Madonna", "Ŵyn", "Teller"];
const COMPANIES: &[&str] = &[
    "Cwmni Adeiladu Cymru Cyf",
    "Smith & Sons (Haulage) Ltd",
    "O’Connor Scaffolding Limited",
    "Northern Waste Solutions plc",
    "Dŵr Glân Services Ltd",
];
const OFFENCES: &[(&str, &str)] = &[
    (
        "Stole goods to the value of £{n}, belonging to a shop",
        "Theft Act 1968, s.1",
    ),
    (
        "Assaulted a person by beating",
        "Criminal Justice Act 1988, s.39",
    ),
    (
        "Drove a motor vehicle on a road after consuming excess alcohol",
        "Road Traffic Act 1988, s.5(1)(a)",
    ),
    (
        "Had an article with a blade or point in a public place",
        "Criminal Justice Act 1988, s.139",
    ),
    (
        "Destroyed property belonging to another, to the value of £{n}",
        "Criminal Damage Act 1971, s.1(1)",
    ),
    (
        "Possessed a controlled drug of Class B",
        "Misuse of Drugs Act 1971, s.5(2)",
    ),
    (
        "Used threatening words or behaviour",
        "Public Order Act 1986, s.4",
    ),
    (
        "Failed to comply with an environmental permit",
        "Environmental Permitting Regulations 2016, reg.38",
    ),
];
const HEARING_TYPES: &[&str] = &[
    "First hearing",
    "Plea and trial preparation",
    "Trial",
    "Sentence",
    "Mention",
];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

/// Case number `i` of the demo (URN `NN` force, a unit, a sequence from `i`, year 26).
fn urn(i: usize, rng: &mut Rng) -> Option<Urn> {
    let force = 1 + i % 98;
    let letters = b"ABCDEFGHJKLMNPRSTUVWXYZ";
    let unit = format!(
        "{}{}",
        char::from(letters[rng.below(letters.len())]),
        if rng.below(4) == 0 {
            char::from(b'0' + u8::try_from(rng.below(10)).unwrap_or(0))
        } else {
            char::from(letters[rng.below(letters.len())])
        }
    );
    let seq = i / 98;
    let text = if seq < 100_000 {
        format!("{force:02}{unit}{seq:05}26")
    } else {
        format!("{force:02}{unit}{seq:07}26")
    };
    // The sequence is unique per force; the shape is valid by construction (a test counts
    // that every case came out).
    Urn::parse(&text).ok()
}

/// `count` demo cases from `seed`, listed at `courts` (names of courts using the service),
/// prosecuted by `prosecutor`, with hearings from `today` (a UK date) on.
pub fn cases(
    count: usize,
    seed: u64,
    courts: &[String],
    prosecutor: &str,
    today: Date,
) -> Vec<CaseDoc> {
    Cases::new(seed, courts, prosecutor, today)
        .take(count)
        .collect()
}

/// The demo cases one at a time (as many as are taken), so a million can be loaded in
/// batches without holding them all: the same seed gives the same cases as [`cases`].
pub struct Cases<'a> {
    rng: Rng,
    i: usize,
    courts: &'a [String],
    prosecutor: &'a str,
    today_start: i64,
    bench: Option<Vec<u8>>,
}

impl<'a> Cases<'a> {
    /// The cases from `seed` (see [`cases`]).
    pub fn new(seed: u64, courts: &'a [String], prosecutor: &'a str, today: Date) -> Self {
        Cases {
            rng: Rng(seed),
            i: 0,
            courts,
            prosecutor,
            today_start: crate::clock::parse_utc(&format!("{today}T00:00:00Z")).unwrap_or(0),
            bench: None,
        }
    }

    /// Shaped for the benchmark's million cases: two defendants per case on average (one,
    /// two or three), and every IDPC the same generic PDF, so the files are one file
    /// (content-addressed) rather than two million written one by one.
    pub fn for_benchmark(mut self) -> Self {
        self.bench = Some(pdf::page(&[
            Line::Title("Initial details of the prosecution case".into()),
            Line::Text(
                "Synthetic benchmark material: no real person or event is described.".into(),
            ),
        ]));
        self
    }
}

impl Iterator for Cases<'_> {
    type Item = CaseDoc;

    fn next(&mut self) -> Option<CaseDoc> {
        loop {
            let i = self.i;
            self.i = i.checked_add(1)?;
            let one = one(
                i,
                &mut self.rng,
                self.courts,
                self.prosecutor,
                self.today_start,
                self.bench.as_deref(),
            );
            if one.is_some() {
                return one;
            }
        }
    }
}

fn one(
    i: usize,
    rng: &mut Rng,
    courts: &[String],
    prosecutor: &str,
    today: i64,
    bench: Option<&[u8]>,
) -> Option<CaseDoc> {
    let urn = urn(i, rng)?;
    let court = courts
        .get(rng.below(courts.len()))
        .cloned()
        .unwrap_or_default();
    let defendants_n = match (bench.is_some(), rng.below(10)) {
        (false, 0) | (true, 0..=2) => 3,
        (false, 1 | 2) | (true, 3..=6) => 2,
        _ => 1,
    };
    let mut defendants = vec![];
    for d in 0..defendants_n {
        let party = match rng.below(40) {
            0 => Party::Company {
                name: rng.pick(COMPANIES).to_owned(),
            },
            1 => Party::Person {
                // Known by one name: the form's first-name box takes a dash.
                first_name: "-".into(),
                last_name: rng.pick(ONE_NAME).to_owned(),
                date_of_birth: dob(rng),
            },
            _ => Party::Person {
                first_name: rng.pick(FIRST).to_owned(),
                last_name: rng.pick(LAST).to_owned(),
                date_of_birth: dob(rng),
            },
        };
        let offences = (0..1 + rng.below(3))
            .map(|k| {
                let (wording, legislation) = OFFENCES[rng.below(OFFENCES.len())];
                OffenceDoc {
                    r#ref: format!("O{}", k + 1),
                    wording: wording.replace("{n}", &(20 + rng.below(2000)).to_string()),
                    legislation: legislation.to_owned(),
                    date: Date::from_days_since_epoch(
                        today / 86_400 - 7 - i64::try_from(rng.below(200)).unwrap_or(0),
                    ),
                }
            })
            .collect();
        defendants.push(DefendantDoc {
            r#ref: format!("D{}", d + 1),
            party,
            offences,
        });
    }
    // Hearings: one in ten today, the rest over six weeks, on the half hour from 09:30.
    let day = if rng.below(10) == 0 { 0 } else { rng.below(42) };
    let slot = i64::try_from(rng.below(14)).unwrap_or(0) * 1800;
    let starts_at = today + i64::try_from(day).unwrap_or(0) * 86_400 + 9 * 3600 + 1800 + slot;
    let hearings = vec![HearingDoc {
        r#ref: "H1".into(),
        court: court.clone(),
        courtroom: (1 + rng.below(12)).to_string(),
        starts_at,
        hearing_type: rng.pick(HEARING_TYPES).to_owned(),
    }];
    let material = defendants
        .iter()
        .map(|d| MaterialDoc {
            r#ref: format!("IDPC-{}", d.r#ref),
            defendant: Some(d.r#ref.clone()),
            section: "idpc".into(),
            title: "Initial details of the prosecution case".into(),
            idpc: true,
            file_name: format!("IDPC-{}-{}.pdf", urn, d.r#ref),
            content_type: "application/pdf".into(),
            bytes: bench.map_or_else(|| idpc_pdf(&urn, &court, d, &hearings[0]), <[u8]>::to_vec),
        })
        .collect();
    Some(CaseDoc {
        urn,
        prosecutor: prosecutor.to_owned(),
        court,
        defendants,
        hearings,
        material,
    })
}

fn dob(rng: &mut Rng) -> Date {
    // Born between 1950 and 2008.
    let days = -7305 + i64::try_from(rng.below(21_550)).unwrap_or(0);
    Date::from_days_since_epoch(days)
}

/// The name of a defendant as documents show it.
pub fn display_name(p: &Party) -> String {
    match p {
        Party::Person {
            first_name,
            last_name,
            ..
        } if first_name == "-" => last_name.clone(),
        Party::Person {
            first_name,
            last_name,
            ..
        } => format!("{first_name} {}", last_name.to_uppercase()),
        Party::Company { name } => name.clone(),
    }
}

/// The IDPC of one defendant, as a one-page PDF.
fn idpc_pdf(urn: &Urn, court: &str, d: &DefendantDoc, h: &HearingDoc) -> Vec<u8> {
    let mut lines = vec![
        Line::Title("Initial details of the prosecution case".into()),
        Line::Text(format!("URN {}   ·   {}", urn.spaced(), court)),
        Line::Gap,
        Line::Heading("Defendant".into()),
        Line::Text(display_name(&d.party)),
    ];
    if let Party::Person { date_of_birth, .. } = &d.party {
        lines.push(Line::Text(format!(
            "Date of birth: {}",
            date_of_birth.long(crate::i18n::Lang::En)
        )));
    }
    lines.push(Line::Gap);
    lines.push(Line::Heading("Charges".into()));
    for o in &d.offences {
        lines.push(Line::Text(format!(
            "{}: {} ({})",
            o.date.long(crate::i18n::Lang::En),
            o.wording,
            o.legislation
        )));
    }
    lines.push(Line::Gap);
    lines.push(Line::Heading("Next hearing".into()));
    lines.push(Line::Text(format!(
        "{}, courtroom {}: {}",
        crate::clock::uk_time(h.starts_at, crate::i18n::Lang::En),
        h.courtroom,
        h.hearing_type
    )));
    lines.push(Line::Gap);
    lines.push(Line::Heading("Summary of the prosecution case".into()));
    lines.push(Line::Text(
        "Synthetic demonstration material: no real person or event is described.".into(),
    ));
    pdf::page(&lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_cases_are_valid_varied_and_repeatable() {
        let courts = vec![
            "Cardiff Magistrates' Court".to_owned(),
            "Leeds Magistrates' Court and Family Court".to_owned(),
        ];
        let today: Date = "2026-11-21".parse().expect("date");
        let a = cases(3000, 7, &courts, "CPS", today);
        let b = cases(3000, 7, &courts, "CPS", today);
        assert_eq!(a, b, "the same seed, the same cases");
        let urns: std::collections::HashSet<_> = a.iter().map(|c| c.urn.clone()).collect();
        assert_eq!(a.len(), 3000, "every case came out");
        assert_eq!(urns.len(), a.len(), "every URN once");
        let today_start = crate::clock::parse_utc("2026-11-21T00:00:00Z").expect("time");
        let todays = a
            .iter()
            .filter(|c| c.hearings[0].starts_at < today_start + 86_400)
            .count();
        assert!(todays > 100, "some hearings today: {todays}");
        assert!(a.iter().all(|c| c.hearings[0].starts_at >= today_start));
        assert!(a.iter().any(|c| c.defendants.len() == 3));
        let all: Vec<&Party> = a
            .iter()
            .flat_map(|c| c.defendants.iter().map(|d| &d.party))
            .collect();
        assert!(all.iter().any(|p| matches!(p, Party::Company { .. })));
        assert!(
            all.iter()
                .any(|p| matches!(p, Party::Person { first_name, .. } if first_name == "-"))
        );
        assert!(
            all.iter()
                .any(|p| matches!(p, Party::Person { last_name, .. } if last_name.contains('’')))
        );
        // Each defendant has an IDPC that is a PDF; the document round-trips through the
        // import format's reader (as `server import` would read it).
        assert!(a.iter().all(|c| c.material.len() == c.defendants.len()
            && c.material.iter().all(|m| m.bytes.starts_with(b"%PDF-1.4"))));
        let first = &a[0];
        assert!(first.urn.as_str().len() == 11);
    }

    #[test]
    fn benchmark_cases_have_two_defendants_on_average_and_share_one_idpc() {
        let courts = vec!["Cardiff Magistrates' Court".to_owned()];
        let today: Date = "2026-11-21".parse().expect("date");
        let a: Vec<CaseDoc> = Cases::new(7, &courts, "CPS", today)
            .for_benchmark()
            .take(10_000)
            .collect();
        let defendants: usize = a.iter().map(|c| c.defendants.len()).sum();
        assert!(
            (19_000..=21_000).contains(&defendants),
            "{defendants} defendants"
        );
        let files: std::collections::HashSet<&[u8]> = a
            .iter()
            .flat_map(|c| c.material.iter().map(|m| m.bytes.as_slice()))
            .collect();
        assert_eq!(files.len(), 1, "one shared file");
        let urns: std::collections::HashSet<_> = a.iter().map(|c| &c.urn).collect();
        assert_eq!(urns.len(), a.len(), "every URN once");
        // Taken in batches, the same cases as all at once.
        let mut batches = Cases::new(7, &courts, "CPS", today).for_benchmark();
        let first: Vec<CaseDoc> = batches.by_ref().take(4_000).collect();
        let rest: Vec<CaseDoc> = batches.take(6_000).collect();
        assert_eq!([first, rest].concat(), a);
    }
}
