"""Templates of the ``heldout`` split of the harder recall set: other personas, topics and phrasings than ``dev``.

Never tune on these: run them on every change beside ``dev``; a change that
lifts ``dev`` and not ``heldout`` fits the dev templates, not conversations.
"""

from __future__ import annotations

from recall_hops_heldout import MULTI_HOP, OPEN_DOMAIN  # type: ignore[import-not-found]
from recall_templates import Fact, Split, When  # type: ignore[import-not-found]

SINGLE_HOP = (
    Fact(
        "What kind of car did {p} buy?",
        (
            "Bought a secondhand electric car, a little white hatchback, it's so quiet I keep checking it's on.",
            "The car I bought in the end is an ancient Volvo estate, it smells of dog but it'll outlive us all.",
        ),
        ("Did you ever replace the old banger?",),
        (
            "The car alarm across the road went off at four this morning, for an hour.",
            "Buy one get one free on crisps, I have no self control whatsoever.",
        ),
    ),
    Fact(
        "What is {p}'s daughter's favourite subject at school?",
        (
            "My daughter's favourite subject is chemistry, she set off the smoke alarm making slime.",
            "Art is her favourite subject by miles, our daughter draws dragons on every surface.",
        ),
        ("How's the little one getting on with her teachers?",),
        (
            "School uniform prices are criminal, forty quid for a jumper.",
            "The subject line of that email was all capitals, very aggressive.",
        ),
    ),
    Fact(
        "Where was {p}'s childhood home?",
        (
            "My childhood home was in a tiny fishing village in Cornwall, everyone knew everyone's business.",
            "Childhood was a tenement flat on the edge of Glasgow, four of us kids in one room.",
        ),
        ("Where did you grow up, anyway?",),
        ("My childhood bedroom is now my mum's sewing room, she's thrilled.",),
    ),
    Fact(
        "What sport does {p}'s partner play?",
        (
            "My partner plays water polo twice a week, comes home smelling of chlorine and victory.",
            "My partner's sport is rugby, so I spend Saturdays on a cold touchline with a flask.",
        ),
        ("Is your other half still doing that team thing?",),
        ("Good sport, my boss, he laughed when I spilled coffee on him.",),
    ),
    Fact(
        "What language is {p} learning?",
        (
            "Learning Korean on the commute, the alphabet was easy, everything after it is not.",
            "I'm learning Greek for our trip, my pronunciation makes the tutor wince.",
        ),
        ("What's that app you keep muttering at?",),
        ("The language in that film was something else, my gran was scandalised.",),
    ),
    Fact(
        "Which band did {p} last see live?",
        (
            "The last band I saw live was a tiny folk group in a church, candles and a cello, magic.",
            "Saw a punk band live in a basement, lost my hearing and one shoe.",
        ),
        ("Been to any gigs recently?",),
        (
            "The elastic band on my folder snapped, papers everywhere.",
            "Live traffic updates say the ring road is solid again.",
        ),
    ),
    Fact(
        "What did {p} buy {their} mum for her birthday?",
        (
            "For Mum's birthday I got her a pasta machine, she's already made ravioli twice.",
            "Bought Mum a weekend at a spa for her birthday, she cried on the phone.",
        ),
        ("Did you sort a present for your mum in the end?",),
        ("Birthday cards cost as much as presents now.",),
    ),
    Fact(
        "What is {p}'s profession?",
        (
            "By profession I'm an architect, so I judge every building I walk past, sorry.",
            "I'm a dental hygienist by profession, you'd be amazed what people confess with a mouth full of tools.",
        ),
        ("What is it you do all day again?",),
        ("The profession of plumber must pay well, ours just bought a boat.",),
    ),
    Fact(
        "Why did {p} sell {their} motorbike?",
        (
            "Sold the motorbike after a close call on the ring road, my nerves were shot.",
            "I sold my motorbike to pay for the deposit on the house, still miss it every sunny day.",
        ),
        ("Wait, where's the bike gone?",),
        ("The corner shop sells the best doughnuts, warm at seven.",),
    ),
    Fact(
        "What cake did {p} bake for the fundraiser?",
        (
            "I baked a lemon drizzle cake for the fundraiser, it was gone in ten minutes.",
            "For the fundraiser I baked a coffee and walnut cake, the vicar had three slices.",
        ),
        ("How did the church thing go at the weekend?",),
        ("Cake in the staff room again, my willpower is gone.",),
    ),
    Fact(
        "Which museum did {p} visit in Paris?",
        (
            "The museum we visited in Paris was the Orsay, all those clocks and water lilies.",
            "We spent a whole afternoon at the Rodin museum in Paris, the garden was the best bit.",
        ),
        ("How was the long weekend away?",),
        ("The science museum near us has a free late night on Thursdays.",),
    ),
    Fact(
        "How many siblings does {p} have?",
        (
            "I've got four siblings, all older, so I was basically raised by committee.",
            "Two siblings, a brother and a sister, both much louder than me.",
        ),
        ("Big family or just you?",),
        ("My siblings and cousins are planning a reunion that will never happen.",),
    ),
)

TEMPORAL = (
    When(
        "When did {p} go skydiving?",
        ("Went skydiving on Saturday! I screamed the whole way down and I want to do it again.",),
        (
            "My brother dared me to go skydiving and I said yes before thinking.",
            "Still dreaming about the skydiving, the view from up there was unreal.",
            "Watched skydiving videos all night, my palms were sweating.",
        ),
    ),
    When(
        "When did {p}'s band play its first gig?",
        ("We played our first gig last night at the Crown, forty people and nobody threw anything.",),
        (
            "The band is rehearsing like mad for our first gig, my fingers are raw.",
            "That first gig feels like ages ago, the band has three more booked now.",
            "Our band needs a new drummer before any more gigs, ours moved to Leeds.",
        ),
    ),
    When(
        "When did {p} get {their} tattoo?",
        ("Got my first tattoo yesterday, a small swallow on my wrist, it barely hurt.",),
        (
            "Thinking about a tattoo, something small, maybe a bird.",
            "My tattoo is healing nicely, it finally stopped itching.",
            "My sister's tattoo artist has a waiting list of a whole year.",
        ),
    ),
    When(
        "When did {p} break {their} wrist?",
        ("Broke my wrist on Thursday slipping on ice outside the bakery, cast for six weeks.",),
        (
            "The wrist is mostly healed, the physio says keep squeezing the ball.",
            "Cast off the wrist finally, it looks so thin and sad.",
            "Typing with a bad wrist is a nightmare, everything takes twice as long.",
        ),
    ),
    When(
        "When did {p} meet {their} partner's parents?",
        ("Met my partner's parents on Sunday, lunch went fine until their dog ate the roast.",),
        (
            "Meeting my partner's parents soon, I'm terrified, what do I bring?",
            "Since meeting the parents, his mum texts me recipes every week.",
            "My partner's parents sent a postcard from their cruise, very sweet.",
        ),
    ),
    When(
        "When did {p} go to the opera?",
        ("Went to the opera last Friday, Tosca, I didn't understand a word and cried anyway.",),
        (
            "Bought opera tickets for my mum's birthday, balcony seats.",
            "Since the opera I've been humming arias in the shower.",
            "The opera house is doing cheap standing tickets on Mondays now.",
        ),
    ),
    When(
        "When did {p} sign the lease on the studio?",
        ("Signed the lease on the studio this afternoon! Keys on Monday, I can't breathe.",),
        (
            "Negotiating the lease on a little studio, fingers crossed.",
            "Six months in the studio now, best decision of my life.",
            "The lease on my flat is up for renewal and the rent is going up again.",
        ),
    ),
    When(
        "When did {p} lose {their} phone on the train?",
        ("Lost my phone on the train yesterday, someone handed it in, faith in humanity restored.",),
        (
            "I'm always scared of losing my phone on the train, I check my pocket every stop.",
            "New phone case after the train incident, bright orange so I can't lose it.",
            "The train was so packed this morning I couldn't even reach my phone.",
        ),
    ),
)

PAIRS = (
    (("Freya", "her"), ("Daniel", "his")),
    (("Amara", "her"), ("Lukas", "his")),
    (("Rosa", "her"), ("Ethan", "his")),
    (("Mei", "her"), ("Jonah", "his")),
    (("Sofia", "her"), ("Ravi", "his")),
)

GREETINGS = (
    "Hey {o}!! How's life treating you?",
    "{o}, hi! Do you have a sec? Today has been a lot.",
    "Good afternoon {o}, finally a quiet moment, how are things?",
    "Yo {o}, been meaning to message you for days.",
    "Hey hey. Just got in, kettle's on, talk to me.",
    "Hi {o}! Missed our chats, what's new?",
    "Evening! {o}, you alive? Haven't heard from you in ages.",
)

SUBJECTS = (
    "the heating bill",
    "my commute",
    "the new manager",
    "the toddler's sleep",
    "the lift at work",
    "the church roof fund",
    "my passport renewal",
    "the fridge",
    "the printer",
    "my gran's laptop",
    "the school trip money",
    "my overdraft",
    "the garden fence",
    "the pension forms",
    "the roadworks",
    "the bathroom scales",
    "my wisdom tooth",
    "the streaming subscriptions",
    "the neighbours' dog",
    "the works canteen",
    "my hairdresser",
    "the cleaning rota",
    "the window cleaner",
    "my car tyres",
    "the supermarket app",
    "the nursery fees",
    "my glasses",
    "the electric bill",
    "the team away day",
)

SMALL_TALK = (
    "So {x} is officially a disaster, I rang three times and got three different answers, classic.",
    "Quick rant: {x}. That's it, that's the rant. Okay fine, I'll tell you properly later.",
    "Spent my whole evening sorting out {x}, and by sorting out I mean complaining to the cat.",
    "You know {x}? It's finally fixed, after six weeks and one very polite but firm email.",
    "Honestly can't cope with {x} today, I'm putting it in tomorrow's problems pile.",
    "My mum asked about {x} again, she thinks I'm hopeless and she might be right.",
    "Made a list this morning and {x} was at the top. It's still at the top. Shocking, I know.",
    "Weird week, {x} went wrong and then right and then wrong again, I've stopped checking.",
    "Apparently {x} is everyone's problem this month, my whole office was moaning about it.",
    "The saga of {x} continues, next episode on Tuesday, bring popcorn.",
    "Guess who forgot about {x} until the last possible minute? Yep, me, again.",
    "I'm weirdly calm about {x} now, like I've reached the acceptance stage of grief.",
    "Any tips for dealing with {x}? I'm out of ideas and patience in equal measure.",
    "Not to bore you, but {x} has cost me an actual fortune this year.",
    "Update on {x}: no update. They said they'd call back and guess what, they haven't.",
    "Between {x} and everything else I barely sat down today, I'm running on toast.",
)

ASIDES = (
    "Sorry for the late reply, the day got away from me completely.",
    "Anyway, how are YOU? I feel like I've been talking about myself for ages.",
    "Lol same. Why are grown-up things so boring and so expensive?",
    "My plant is thriving, which is a first, I talk to it every morning.",
    "We got a takeaway last night and I'm still full, no regrets.",
    "I'm so ready for the weekend it's not even funny.",
    "Ha, I needed that laugh, thank you.",
    "Fingers crossed things calm down for you soon.",
    "It's pouring here, proper sideways rain, the umbrella gave up.",
    "I've got a cold coming, I can feel it, my throat's scratchy.",
    "That made me smile, honestly, good for you.",
    "Can't believe it's nearly the end of the month already.",
    "I bought a new mug and it's changed my life a little, very big handle.",
    "Ugh, same here, it never rains but it pours.",
    "My neighbour waved at me today for the first time in three years, progress.",
    "The bus driver sang the whole route this morning, I loved him.",
    "Did I mention I'm trying to drink more water? Going well, I've had two glasses.",
    "I'm watching a baking show and now I want cake at eleven at night.",
    "Ooh, keep me posted, I want the full story.",
    "I burnt the toast and set off the alarm, so that's how today started.",
    "Honestly you're the only person I can moan to about this stuff.",
    "Found an old photo of us at that festival, we looked about twelve.",
    "My knees make noises now when I stand up, is this it?",
    "So true. Life admin is the worst kind of admin.",
    "I'll send you the link later, remind me if I forget, I will forget.",
    "Ahh that's such a relief, I was worried for you.",
)

PROMPTS = (
    "Sooo? How was it?",
    "Tell me everything, I've been waiting!",
    "Well? Don't leave me hanging.",
    "Any updates on your end?",
    "What's been happening?",
    "How's it all going?",
    "What have I missed?",
    "You've gone quiet, what's new?",
    "Right, your turn, what's the news?",
)

REACTIONS = (
    "Omg that's brilliant, I'm genuinely so pleased for you.",
    "Haha classic. Only you, honestly, only you.",
    "That sounds like a lot, be kind to yourself okay?",
    "Okay I'm officially jealous, that sounds amazing.",
    "Pics or it didn't happen!",
    "Wow, respect. I couldn't do it.",
    "Oh that's gorgeous, I'm so happy it worked out.",
    "Hahaha I'm crying, that's the best thing I've heard all week.",
    "Oh no, poor you! But what a story.",
    "You'll have to show me next time, deal?",
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
