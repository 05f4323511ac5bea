//! Hearings and check-in on the day (issue 12): advocates check in so the court and the Legal
//! Aid Agency know who attends. `rules` is the check-in rule (pure, in both builds).

pub mod rules;
