"""Comments for the demo, written the way business stakeholders write them."""

POSITIVE = (
    "The weekly status report is clear and honest, and I finally know who to call when something breaks.",
    "Really pleased with how the team handled the data migration dry run. Keep doing the Friday demos.",
    "Priya's team listened to the warehouse supervisors and changed the pick screen the same week. That is partnership.",
    "Go-live for the pilot stores went smoothly and support answered our tickets within the hour.",
    "The training sessions for the branch managers were excellent, practical and not too technical.",
    "Estimates have been spot on for three sprints now. Keep that up.",
    "Good to see the risks raised early this month instead of on the day. Much appreciated.",
    "The team understands how month-end close works now, which was not the case at the start.",
    "Responsive, friendly and they explain the technical choices in plain English. Keep it up.",
    "We are on track and under budget so far. Start sharing the test results with my leads too.",
    "Keep the short daily stand-up with our super users, it has made a real difference.",
    "Honest conversation about the reporting delay. I'd rather hear it early like this every time.",
)
NEUTRAL = (
    "Please send the cutover plan to the regional leads before the steering committee.",
    "We need the UAT schedule for March confirmed by the end of next week.",
    "Could the status report include the open defect count by severity?",
    "Moving the review meeting to Thursdays would suit the finance team better.",
    "No strong views this month. Most of my team has not used the new system yet.",
    "Start copying Mark on the release notes, he owns the supplier relationship now.",
    "The test environment was rebuilt on Tuesday; we will retest the invoice matching then.",
    "Who is the contact for access requests once the project team hands over to support?",
)
NEGATIVE = (
    "We were told the interface was on track right up until the week it slipped. Stop hiding bad news.",
    "The go-live date has moved three times and nobody explained why. My team has stopped believing the plan.",
    "Status reports are always green but my people are still doing manual workarounds every day.",
    "I feel we are being told what we want to hear. The steering pack does not match what my leads see.",
    "Decisions about scope are made without us and then presented as done. That is not working with the business.",
    "Defects we reported in UAT came back in the release. Testing needs to take our scenarios seriously.",
    "I spend half my week chasing the project team for answers. Emails go unanswered for days.",
    "Blindsided again by the budget overrun at the board. I should have heard it from the PM first.",
    "The support desk closes tickets without fixing anything. We were promised hypercare after go-live.",
    "Nobody on the team seems to understand how our rebate process works, and they will not ask.",
    "Honestly I no longer trust the dates. Stop spinning the plan and tell us what is really late.",
    "Training was a slide deck the day before go-live. My staff were lost on day one.",
)
