"""Templates of the ``dev`` split of the harder recall set: tune on these (never on ``recall_split_heldout.py``)."""

from __future__ import annotations

from recall_hops_dev import MULTI_HOP, OPEN_DOMAIN  # type: ignore[import-not-found]
from recall_templates import Fact, Split, When  # type: ignore[import-not-found]

SINGLE_HOP = (
    Fact(
        "What breed of dog is {p} hoping to adopt?",
        (
            (
                "Been reading up on every dog breed for weeks and honestly a retired "
                "greyhound fits us best, they mostly want to nap."
            ),
            (
                "We keep going back and forth but I think a beagle is the breed "
                "for us, my partner wants a dog that will hike."
            ),
        ),
        ("Are you two still thinking about getting a dog?", "Any news on the rescue front?"),
        (
            "Reality shows breed the worst kind of drama, I swear I'm done with them.",
            "Hoping the rain holds off for the barbecue tomorrow, the forecast keeps changing its mind.",
        ),
    ),
    Fact(
        "What instrument did {p} start learning this year?",
        (
            "I finally started learning the cello in January, my teacher says my bow arm is hopeless but I adore it.",
            "Started learning the saxophone this year, the neighbours have been very patient about it, mostly.",
        ),
        ("Did any of your new year's resolutions survive?",),
        (
            "This year has flown by, I can't believe the leaves are turning already.",
            "The surgeon showed us every instrument on the tray before the procedure, I nearly fainted.",
        ),
    ),
    Fact(
        "Where does {p}'s sister live now?",
        (
            "My sister just moved to Vancouver, she lives ten minutes from the sea and sends me smug photos daily.",
            "My sister lives in Copenhagen now, she cycles everywhere and has become unbearably Scandinavian about it.",
        ),
        ("How's your family doing these days?",),
        ("Live music at the pub tonight if you fancy it, some covers band with a fiddle.",),
    ),
    Fact(
        "What did {p} name {their} new kitten?",
        (
            (
                "We named the kitten Pickle in the end, she has the energy of a "
                "small tornado and zero respect for curtains."
            ),
            "The kitten's name is Mochi, she's tiny and grey and insists on sleeping in the fruit bowl.",
        ),
        ("So what did you call the little furball?",),
        ("I can't name a single song in the charts anymore, I'm officially ancient.",),
    ),
    Fact(
        "What is {p}'s favourite board game?",
        (
            (
                "Honestly my favourite game ever is Ticket to Ride, we play it "
                "every Sunday and I always build the longest route."
            ),
            "Catan is my favourite board game, no contest, even though my brother steals all the sheep.",
        ),
        ("Games night at yours again soon?",),
        (
            "The board meeting ran three hours over today, I wanted to lie down on the carpet.",
            "The football game last night was painful to watch, we couldn't pass to save our lives.",
        ),
    ),
    Fact(
        "Which university did {p}'s son get into?",
        (
            "My son got into Edinburgh university to study geology, he's already buying rock hammers online.",
            "Our son got an offer from Leeds for engineering, we both cried in the kitchen like idiots.",
        ),
        ("Any news from the admissions letters?",),
        ("The university hospital car park is a nightmare, I circled for forty minutes.",),
    ),
    Fact(
        "What did {p} cook for {their} parents' anniversary?",
        (
            "For my parents' anniversary I cooked a slow roast lamb with rosemary and garlic, Dad had thirds.",
            "I cooked their anniversary dinner myself, a massive seafood paella, Mum teared up a bit.",
        ),
        ("How was the big family dinner?",),
        (
            "My parents still argue about who forgot the map on holiday in 1994.",
            "Anniversary sale at the furniture shop, everything half price, we bought a lamp we didn't need.",
        ),
    ),
    Fact(
        "What does {p} do for work?",
        (
            "I work as a paramedic, mostly night shifts, so coffee is basically my entire personality now.",
            "Work-wise I'm a sound engineer for a small theatre, lots of cables and very late finishes.",
        ),
        ("I don't think you ever told me, what's the day job?",),
        ("The lift at the station doesn't work again, I carried the buggy up four flights.",),
    ),
    Fact(
        "Why did {p} stop playing football?",
        (
            (
                "I stopped playing football after tearing a ligament, the physio "
                "said my knee wouldn't survive another season."
            ),
            "Quit playing football when the club folded, nobody wanted to organise anything and it fizzled out.",
        ),
        ("Do you miss Sunday league at all?",),
        (
            "The kids were playing in the street till dark, it felt like the eighties.",
            "Why does the printer always stop halfway through the important page?",
        ),
    ),
    Fact(
        "What colour did {p} paint the living room?",
        (
            "We painted the living room a deep forest green, it feels like a cosy cave now and I love it.",
            "The living room is terracotta now, freshly painted, the whole house glows at sunset.",
        ),
        ("Did the decorating ever get finished?",),
        (
            "The living costs in this city are ridiculous, a sandwich is eight pounds now.",
            "My nephew had his face painted like a tiger at the fair and refused to wash it off.",
        ),
    ),
    Fact(
        "What is {p} studying at evening classes?",
        (
            "The evening classes are Spanish, I can now order coffee and apologise, which covers most situations.",
            "I'm studying bookkeeping at evening classes, surprisingly it's kind of soothing to make columns add up.",
        ),
        ("Are you still doing that thing on Tuesday nights?",),
        ("The evening light in the park is gorgeous lately, all gold and long shadows.",),
    ),
    Fact(
        "Who gave {p} the vintage camera?",
        (
            "The vintage camera was my grandad's, he gave it to me before he moved into the care home.",
            "My aunt gave me her old vintage camera, a proper Leica, I'm terrified of dropping it.",
        ),
        ("That camera you had at the picnic looked ancient, where's it from?",),
        (
            "The security camera caught a fox stealing our shoes off the step again.",
            "Vintage shops are so overpriced now, thirty quid for a jumper with holes.",
        ),
    ),
)

TEMPORAL = (
    When(
        "When did {p} run the half marathon?",
        (
            (
                "Crossed the finish line of the half on Sunday, just under two "
                "hours, and I could barely walk down the stairs after."
            ),
        ),
        (
            "Signed up for a half marathon in the spring, what have I done to myself.",
            "Still proud of that half marathon time honestly, I keep dropping it into conversations.",
            "Training for the half marathon is eating every weekend, my social life is gone.",
        ),
        ("The bus ran so late this morning that I walked half of the way.",),
    ),
    When(
        "When did {p} go to the jazz festival?",
        ("The festival was yesterday, that trumpet player was unreal, I'm still humming everything.",),
        (
            "Got tickets for the jazz festival, can't wait, it's been years.",
            "They announced next year's jazz festival lineup already, we're going again for sure.",
            "The jazz festival crowd last year was lovely, everyone dancing badly together.",
        ),
    ),
    When(
        "When did {p} get the promotion?",
        ("Got promoted this morning! Team lead from next month, I celebrated with an enormous croissant.",),
        (
            "There's talk of a promotion at work but I'm not holding my breath.",
            "The promotion mostly means more meetings, who knew, I miss doing actual work.",
            "My manager hinted at a promotion again, I'll believe it when I see it.",
        ),
    ),
    When(
        "When did {p} move into the new flat?",
        (("We moved in last weekend, still living out of boxes, but the morning light in this flat is amazing."),),
        (
            "Viewing a new flat tomorrow after work, fingers crossed it's not another damp cupboard.",
            "Loving the new flat, finally unpacked the last box and hung the mirror.",
            "The new flat has a tiny balcony, I've already squeezed a chair out there.",
        ),
    ),
    When(
        "When did {p} visit {their} grandmother in hospital?",
        ("Visited my grandmother in hospital on Tuesday, she was bossing the nurses around, so she's clearly fine.",),
        (
            "My grandmother is going into hospital for her hip next month, she's pretending not to be scared.",
            "Grandmother's home from hospital and already baking, nobody can stop her.",
            "Grandmother keeps asking to go back to the hospital cafe, she liked the scones.",
        ),
    ),
    When(
        "When did {p} take {their} driving test?",
        ("Passed my test on Friday! Only one minor, for hesitating at a roundabout.",),
        (
            "Booked my driving test at last, I'm so nervous I practise parallel parking in my sleep.",
            "The driving test feels like a lifetime ago now that I'm doing the school run.",
            "My sister failed her driving test twice, so no pressure at all.",
        ),
    ),
    When(
        "When did {p} start volunteering at the food bank?",
        ("Started at the food bank last week, sorting tins for three hours was weirdly satisfying.",),
        (
            "Thinking of volunteering somewhere this winter, maybe the food bank near the church.",
            "The food bank needs more volunteers before Christmas, tell everyone you know.",
            "The food bank sent a thank you letter to everyone who donated.",
        ),
    ),
    When(
        "When did {p} take {their} kids camping?",
        ("Took the kids camping at the weekend, the tent leaked but they swear it was the best trip ever.",),
        (
            "Planning to take the kids camping once it warms up a bit, if I can find the tent pegs.",
            "The kids keep asking when we're going camping again, I've created monsters.",
            "Camping gear is all over the hallway, the kids refuse to let me pack it away.",
        ),
    ),
)


PAIRS = (
    (("Priya", "her"), ("Tomas", "his")),
    (("Hannah", "her"), ("Leo", "his")),
    (("Nadia", "her"), ("Marcus", "his")),
    (("Chloe", "her"), ("Oliver", "his")),
    (("Ines", "her"), ("Kofi", "his")),
)

GREETINGS = (
    "Hey {o}! Long time no chat, how have you been?",
    "Hi {o}, sorry I went quiet, the week ran away from me completely.",
    "Morning {o}! Got a minute? I need a break from staring at my screen.",
    "{o}! Finally, I've been saving up things to tell you all week.",
    "Hey you. Quick catch-up before dinner? I've got about half an hour.",
    "Hiya {o}, how's everything on your end? It's been chaos here.",
    "Evening {o}! I'm on the sofa with tea, perfect time for a proper chat.",
    "Hello hello! It feels like forever since we talked, {o}.",
)

SUBJECTS = (
    "the boiler",
    "my inbox",
    "the school run",
    "the recycling rota",
    "my sleep schedule",
    "the quiz night",
    "my car insurance",
    "the office move",
    "the group chat",
    "my tax return",
    "the neighbour's extension",
    "the book club",
    "my hay fever",
    "the broadband",
    "my step count",
    "the leaky tap",
    "the gym membership",
    "the parking permit",
    "the new sofa",
    "the dentist appointment",
    "the weekly shop",
    "my spreadsheet at work",
    "the council tax letter",
    "the washing machine",
    "my phone contract",
    "the quarterly report",
    "the bin collection",
    "the bus timetable",
    "the damp in the bathroom",
    "my meal prep",
)

SMALL_TALK = (
    "Honestly {x} has taken over my whole week, I keep meaning to sort it out properly and never quite do.",
    "Did I tell you about {x}? It turned into a whole saga, I'll spare you the boring bits, mostly.",
    "Why is it that {x} always goes wrong exactly when I have zero time to deal with it?",
    "Ugh, {x} again. I spent my lunch break on hold listening to the same four bars of music.",
    "I think I've finally got {x} under control, which means something else will explode tomorrow.",
    "Not much news here, {x} is the same as always, slow and steady and slightly annoying.",
    "You'd laugh at the state of {x} right now, it's like a sitcom nobody asked for.",
    "Small win today: {x} is sorted. I treated myself to the fancy biscuits to celebrate.",
    "My partner and I had a silly argument about {x} last night, we made up over toast.",
    "I swear {x} is designed to test my patience, and I'm failing the test daily.",
    "Been putting off {x} for a month, then did it in ten minutes. Classic me, honestly.",
    "Someone at work asked me about {x} and I talked for twenty minutes, I need a hobby.",
    "Is it just me or has {x} got so much more complicated than it used to be?",
    "I'll tell you the whole story about {x} when we meet up, it needs coffee and cake.",
    "Today's drama was {x}. Tomorrow's drama will probably also be {x}, let's be honest.",
    "Okay so {x} update: still a mess, but a slightly more organised mess than last week.",
    "I had a whole plan for {x} and then the weekend happened and now it's Monday again.",
    "Every time I think about {x} I remember I also need to call my mum back. Guilt spiral.",
)

ASIDES = (
    "Had the strangest dream last night, I was running a lighthouse and you were the seagull.",
    "The weather can't make up its mind, I wore a coat, took it off, put it back on.",
    "Anyway, enough about me, how are you holding up?",
    "I've been drinking far too much coffee, my hands are practically vibrating.",
    "We finally watched that series everyone talks about, it's fine? I don't get the fuss.",
    "Ha, that is so typical. Nothing ever goes to plan, does it?",
    "Sorry, distracted, the pasta is boiling over. Carry on, I'm listening.",
    "I'm trying to go to bed earlier this month. It's going terribly so far.",
    "Can we talk about how fast this year is going? It's scary.",
    "Same here, honestly. Some weeks are just about getting through.",
    "I laughed out loud at that on the bus and the whole row stared at me.",
    "That's brilliant, genuinely, you deserve a bit of good luck.",
    "Mum rang to tell me about her neighbour's hedge for forty minutes, I know everything about that hedge now.",
    "We should do a proper catch-up over lunch soon, it's been ages.",
    "I found a tenner in my old jeans today, best moment of the month by far.",
    "Traffic this morning was unreal, it took an hour to go three miles.",
    "I started a new audiobook, a murder mystery, I've already guessed the butler.",
    "Oh totally, I've been there. It gets easier, or you just get used to it.",
    "Random, but I've been craving pancakes all day and I have no eggs.",
    "I'm so behind on messages, my phone is basically a guilt machine now.",
    "Haha stop, you always make me laugh at the worst moments.",
    "My back hurts from sitting all day, I need one of those standing desks.",
    "Right? It's the little things. A good sandwich can fix most days.",
    "I'm knackered, honestly, the kind of tired sleep doesn't fix.",
    "Oh I know that feeling too well, don't worry about it.",
    "The cat next door has started visiting us for dinner, we may have adopted him by accident.",
    "Fair enough. I'd probably have done exactly the same, to be fair.",
    "My playlist is on shuffle and it's been sad songs for an hour straight, rude.",
)

PROMPTS = (
    "So?? Tell me everything!",
    "How did it go in the end?",
    "Any news since we last talked?",
    "What's the latest with you?",
    "You sound cheerful, what's going on?",
    "Go on then, spill.",
    "What have you been up to lately?",
    "And how's everything else going?",
    "Anything exciting happen this week?",
    "How are things with you, really?",
)

REACTIONS = (
    "That's amazing, I'm so happy for you, honestly that made my day.",
    "Ha, that sounds exactly like you. I wouldn't expect anything less.",
    "Wow, I'd never have the patience for that, you're a better person than me.",
    "Oh no, that sounds exhausting, but also kind of fun? Mostly exhausting.",
    "Please send photos, I need to see this with my own eyes.",
    "I love that so much. You have to keep me posted on how it goes.",
    "No way! Okay, you're officially more interesting than me this month.",
    "That's so lovely. You always find the good bits in things.",
    "Oof. Well, at least it makes a good story now, right?",
    "Ahh I'm jealous, that sounds wonderful.",
)

SPLIT = Split(
    pairs=PAIRS,
    single_hop=SINGLE_HOP,
    temporal=TEMPORAL,
    multi_hop=MULTI_HOP,
    open_domain=OPEN_DOMAIN,
    greetings=GREETINGS,
    small_talk=SMALL_TALK,
    subjects=SUBJECTS,
    asides=ASIDES,
    prompts=PROMPTS,
    reactions=REACTIONS,
)
