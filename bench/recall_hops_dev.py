"""Multi-hop and open-domain templates of the ``dev`` split (tune on these, never on the heldout ones)."""

from __future__ import annotations

from recall_templates import Hops  # type: ignore[import-not-found]

MULTI_HOP = (
    Hops(
        "What did {p} and {their} partner get up to in Lisbon?",
        (
            (
                (
                    "We rode that rattling yellow tram up the hill three times, "
                    "like a tin can on rails, loved every second."
                ),
                "Those yellow trams clanking up the steep streets are the most charming thing, we rode one twice.",
            ),
            (
                "Ate our body weight in pasteis de nata at Belem, warm from the oven with cinnamon on top, heaven.",
                "The custard tarts at Belem were worth the twenty minute queue, we would queue again tomorrow.",
            ),
            (
                (
                    "Found a tiny fado bar in Alfama, candles everywhere, an "
                    "elderly singer whose voice gave me goosebumps."
                ),
                "Heard fado in some cramped Alfama tavern, the guitarist barely glanced up, I got shivers.",
            ),
            (
                "Sintra's palace looks like a painted birthday cake perched on a cliff, we spent hours there.",
                "Took the train out to Sintra for the day, that candy-coloured palace is pure fairytale.",
            ),
        ),
        (
            "How was Lisbon? I want every detail.",
            "Did you two make it to Lisbon in the end?",
            "Are you still dreaming about Lisbon?",
        ),
        (
            "My business partner wants to expand again, I can barely keep up with the current mess.",
            "Lisbon Road is closed for resurfacing all month, the detours are driving me mad.",
            "My dance partner stood on my feet for an hour straight last night.",
        ),
        (
            "My cousin just got back from Porto, apparently the port cellars are dangerous in the best way.",
            "Seville was on our list too, maybe next year when flights are cheaper.",
        ),
    ),
    Hops(
        "How is {p} getting on with {their} pottery hobby?",
        (
            (
                (
                    "Opened the kiln this morning and nothing cracked! First time "
                    "ever, I did a little dance in the studio."
                ),
                "The kiln firing finished overnight, two mugs survived, one exploded, I'm calling that progress.",
            ),
            (
                "Mixed a celadon glaze that came out the softest sea green, honestly the prettiest thing I've made.",
                "Dipped everything in a speckled glaze and it pooled at the bottom like caramel, a gorgeous accident.",
            ),
            (
                "Centering on the wheel is still my nemesis, the lump wobbles, flies off and I scream.",
                "Threw six bowls on the wheel at class and all six collapsed, my instructor laughed kindly.",
            ),
        ),
        ("How's the pottery going?", "Made anything at pottery this week?", "Is the pottery hobby still alive?"),
        (
            "The hobby shop finally has the model trains my dad wanted for his birthday.",
            "Getting on the train this morning was a contact sport, elbows everywhere.",
            "Found some gorgeous pottery at the charity shop, mismatched plates for a pound each.",
        ),
        (
            "My friend does stained glass now, her flat is covered in lead and solder.",
            "Watched a woodturning video for an hour last night, so soothing.",
        ),
    ),
    Hops(
        "How has {p} been preparing for the marathon?",
        (
            (
                "Did thirty kilometres on Sunday, legs like jelly, ate a whole pizza afterwards without shame.",
                "Long run this weekend was thirty-two k, my toenails are staging a protest.",
            ),
            (
                "Bought new trainers with proper arch support, the physio swore they'd fix my shins.",
                "Got fitted for shoes at that specialist store, they filmed me jogging on a treadmill, mortifying.",
            ),
            (
                "Carb loading all week, pasta for breakfast, pasta for dinner, I may turn into spaghetti.",
                "Eating so much porridge and bananas that my fridge looks like a monkey lives here.",
            ),
        ),
        ("How's the marathon training?", "Is the marathon still on?", "Marathon countdown, how are you feeling?"),
        (
            "Binged a whole series marathon on Saturday, zero regrets.",
            "Preparing the spare room for my in-laws, pray for me.",
            "The marathon closed half the roads in town, I was two hours late for everything.",
        ),
        (
            "My brother is doing a triathlon, he swims at five in the morning, which is madness.",
            "Signed up for yoga at the leisure centre, it's very humbling.",
        ),
    ),
    Hops(
        "What has {p} been dealing with since getting the puppy?",
        (
            (
                "He chewed through both my sneakers and a table leg, I came home to a crime scene.",
                "Found my favourite boots shredded in the hallway, he looked so proud of himself.",
            ),
            (
                "Up at three in the morning for toilet trips to the garden, I'm a zombie.",
                "House-training is brutal, the pads are everywhere and he still goes on the rug.",
            ),
            (
                "Vet said his jabs are done so we can finally walk in the park, hallelujah.",
                "Took him for vaccinations and he whimpered so much the nurse gave him extra biscuits.",
            ),
            (
                "Obedience class on Thursday, he ignored every command and chased a ball round the hall.",
                "The trainer says sit and stay will click eventually, so far he just sits on my feet.",
            ),
        ),
        ("How's the puppy?", "Is the puppy settling in?", "Send puppy pictures immediately."),
        (
            "Dealing with the council about our bins is a full-time job at this point.",
            "Getting the car serviced cost a fortune, apparently everything was broken.",
            "Puppy fat, my aunt calls it, every single Christmas without fail.",
        ),
        (
            "Our neighbour's cat sits on our windowsill judging us all day.",
            "My sister's hamster escaped again and lived behind the fridge for a week.",
        ),
    ),
    Hops(
        "What has {p} sorted out for the wedding so far?",
        (
            (
                "Booked the old barn by the river for June, fairy lights and hay bales, it's perfect.",
                "Signed the contract for the venue, a converted mill with a courtyard, deposit paid!",
            ),
            (
                "The tasting with the caterer was heaven, we chose lamb and a lemon tart.",
                "Menu is settled, lamb or mushroom risotto, and a cheese tower instead of cake.",
            ),
            (
                "Second dress fitting went great, the seamstress took the hem up and I nearly cried.",
                "Found my suit at last, navy with a tiny floral lining, the tailor is a genius.",
            ),
        ),
        ("How's the wedding planning?", "Any wedding news?", "Wedding countdown! What's done?"),
        (
            "Sorted out the recycling finally, the kitchen can breathe again.",
            "So far the new manager seems fine, time will tell.",
            "The wedding ring I found on the beach went to the lost property office.",
        ),
        (
            "My cousin's hen do was in Prague and she still won't talk about it.",
            "Went to an engagement party on Saturday, so many speeches.",
        ),
    ),
    Hops(
        "What is growing on {p}'s allotment?",
        (
            (
                "Drowning in courgettes, I've been leaving them on doorsteps like a weird fairy.",
                "The courgette plants have gone feral, I picked nine yesterday.",
            ),
            (
                "Runner beans have climbed right over the canes, they're taller than me now.",
                "Beans are twisting up the bamboo poles, first pods any day.",
            ),
            (
                "Netted the strawberries because the blackbirds were having a feast, ha.",
                "Strawberries are ripening, I eat them warm in the sunshine and none make it to the kitchen.",
            ),
        ),
        ("How's the allotment?", "Anything growing yet?", "Allotment report please!"),
        (
            "Growing up we never had a garden, just a balcony with one sad cactus.",
            "The allotment committee emailed about the shed rules again, so petty.",
            "The queue at the post office is growing by the day.",
        ),
        (
            "My mum's tomatoes got blight again, she's devastated.",
            "Bought a fern for the bathroom and it's already dying.",
        ),
    ),
    Hops(
        "What has {p}'s new job at the hospital involved?",
        (
            (
                "Four night shifts in a row on the ward, I saw the sun rise from the car park every time.",
                "Back-to-back nights, I eat dinner at three and breakfast at noon.",
            ),
            (
                "Did my cannula training today, practised on a fake arm and then a real person, hands shaking.",
                "Learned to put in IV lines this week, the first one went in on the first try!",
            ),
            (
                "A lady I looked after sent a thank you card with a drawing of me, I cried in the staff room.",
                "One patient's daughter brought the whole team doughnuts, I nearly welled up.",
            ),
        ),
        ("How's the new job at the hospital?", "Surviving the hospital job?", "How are things at the new job?"),
        (
            "My nan's hospital appointment got moved again, third time.",
            "The job centre queue was out the door this morning.",
            "My brother's job interview went on for three hours, they made him do a puzzle.",
        ),
        (
            "My flatmate is a pharmacist, she knows every drug name and it's terrifying.",
            "Watched a documentary about surgeons, I could never.",
        ),
    ),
    Hops(
        "What happened on {p}'s camping trip in the Highlands?",
        (
            (
                "The midges were biblical, I've got bites in places I won't mention.",
                "Got eaten alive by midges at dusk, we hid in the car like cowards.",
            ),
            (
                "We did a whisky distillery tour, the peaty one tasted like a bonfire, loved it.",
                "Tasted single malts at a tiny distillery, the smoky one nearly knocked me over.",
            ),
            (
                "A storm snapped our tent pole at two, we slept curled up on the back seat.",
                "Woke to a stag right outside the tent, massive antlers, didn't dare breathe.",
            ),
        ),
        ("How was the camping trip?", "Did the Highlands trip happen?", "Back from camping? Tell me!"),
        (
            "Camping out in the office kitchen waiting for the kettle, the usual.",
            "The school trip form is due tomorrow and I've lost it.",
            "Something happened to my phone screen, it's all stripy now.",
        ),
        (
            "My uncle goes fishing in Norway every summer and comes back smelling of cod.",
            "The Lake District in the rain is still beautiful, I'll fight anyone on this.",
        ),
    ),
    Hops(
        "What has {p} been practising on the guitar?",
        (
            (
                "Barre chords are torture, the F shape makes my hand cramp after ten seconds.",
                "Finally nailed the F barre chord, it only took four months and a lot of swearing.",
            ),
            (
                "Fingerpicking a folk tune my dad used to hum, slow as a snail but it sounds right.",
                "Working on fingerpicking patterns, thumb on the bass, my brain hurts.",
            ),
            (
                "My fingertips have proper calluses now, I keep tapping them on things, weirdly proud.",
                "The calluses are in, no more pain on the strings, I play till midnight.",
            ),
        ),
        ("How's the guitar going?", "Still practising the guitar?", "Guitar update?"),
        (
            "Practising patience with my landlord, day forty.",
            "Air guitar at the party was the highlight, my uncle went wild.",
            "The guitar shop on the high street is closing down.",
        ),
        ("My son started drums, our house is a war zone.", "The choir concert was lovely, the altos stole the show."),
    ),
)

OPEN_DOMAIN = (
    Hops(
        "Would {p} enjoy a career in veterinary medicine?",
        (
            (
                (
                    "Spent my Saturday at the rescue shelter again, walking greyhounds "
                    "and cleaning kennels, happiest I've been all week."
                ),
                "Volunteering at the shelter is the best part of my week, even scooping poop.",
            ),
            (
                "Nursed a hedgehog back to health in a shoebox by the radiator, released him last night.",
                "Found an injured pigeon and splinted its wing with a lolly stick, it flew off today!",
            ),
            (
                "Got an A in biology, the dissection practical was the highlight of the year.",
                "Honestly anatomy lectures are the only ones I never skip, bones fascinate me.",
            ),
        ),
        ("Ever thought about a career with animals?", "Would you enjoy doing something in medicine?"),
        (
            "The medicine cabinet is a graveyard of expired cough syrup.",
            "Career fair at the college next week, free pens at least.",
            "Would enjoy a nap more than anything right now.",
        ),
        (
            "My cousin is a dentist and she says teeth are a nightmare.",
            "Zoo trip with the kids, the penguins were the highlight.",
        ),
    ),
    Hops(
        "Is {p} likely to support stricter environmental laws?",
        (
            (
                "Started composting all our peelings, the worms are thriving and the bin smells of forest.",
                "Our worm farm is booming, kitchen scraps become soil in weeks, it's magic.",
            ),
            (
                "Sold the car and cycle everywhere now, rain or shine, my legs have never been stronger.",
                "Haven't driven in months, the bike gets me everywhere, even to the big shop.",
            ),
            (
                "Spent Sunday picking plastic off the beach with a volunteer group, filled twelve bags.",
                "Beach clean-up again this morning, so many bottle caps, it breaks my heart.",
            ),
        ),
        ("Do you think the environmental stuff is overblown?", "Did you see the news about the new climate laws?"),
        (
            "My in-laws are staying again, pray for me.",
            "Support the local team or else, my dad says.",
            "The school has stricter rules on phones now, the kids are furious.",
        ),
        (
            "Watched a documentary about the ocean, I can't look at a straw now.",
            "Our street got solar panels on half the roofs.",
        ),
    ),
    Hops(
        "Would {p} prefer a city break or a remote cabin holiday?",
        (
            (
                "Crowds drain me so fast, an hour in a busy shop and I need a dark room.",
                "Festivals are my nightmare, thousands of people and nowhere to hide.",
            ),
            (
                "Silence is everything to me, I turned off my phone for a weekend and felt human again.",
                "The best evenings are the quiet ones, no noise, just birdsong and a book.",
            ),
            (
                "My dream is a woodstove, a blanket and a view of nothing but pine trees.",
                "I'd happily live somewhere with no neighbours for miles and a lake to swim in.",
            ),
        ),
        ("Where are you heading for the holiday?", "City break or something remote this year?"),
        (
            "The remote for the telly is lost again, we've searched the sofa twice.",
            "Took a break from coffee, lasted four hours.",
            "The city council meeting about the bins went on forever.",
        ),
        ("My brother loves Vegas, the louder the better.", "Glamping pods are everywhere now, with hot tubs."),
    ),
    Hops(
        "Would {p} be interested in running a small bakery?",
        (
            (
                "My sourdough starter is three years old, I feed it like a pet and named it Doughy.",
                "Perfected my croissant lamination, forty-eight layers, buttery and flaky, I'm unbearable now.",
            ),
            (
                "Had a stall at the farmers market, sold out of cinnamon buns before ten.",
                "Sold all my loaves at the church fete, people queued, I felt like a rock star.",
            ),
            (
                "I daydream about a shop of my own, flour on my apron, regulars at the door at seven.",
                "One day I want my own little place with a counter and a bell over the door.",
            ),
        ),
        ("Have you ever thought about a bakery of your own?", "You should open a bakery, seriously."),
        (
            "Running late, the trains are a disaster.",
            "Small world, my boss went to school with your cousin.",
            "The bakery on the corner changed owners and the bread's gone weird.",
        ),
        (
            "My friend opened a cafe and says she hasn't slept in a year.",
            "Catering for the office party was a nightmare.",
        ),
    ),
    Hops(
        "Is {p} more of an introvert or an extrovert?",
        (
            (
                "Skipped the office party and read in the bath instead, best Friday in ages.",
                "Left the birthday drinks after twenty minutes, I'd hit my limit on chat.",
            ),
            (
                "I recharge alone, a whole Sunday without talking to anyone is my idea of bliss.",
                "Spent the weekend completely solo, no plans, no calls, felt wonderful.",
            ),
            (
                "Built a cosy nook under the stairs, cushions, fairy lights and a door that shuts.",
                "Honestly my favourite place is my little corner with headphones on.",
            ),
        ),
        ("You're such an introvert, you know that?", "Are you coming out Friday or is the introvert winning?"),
        (
            "The new intern is a proper extrovert, talks to the printer.",
            "An introvert's guide to networking was left on the train seat, I didn't take it.",
        ),
        (
            "My sister throws a party every month, she lives for it.",
            "Karaoke night was chaos, my boss sang three ballads.",
        ),
    ),
    Hops(
        "Would {p} be likely to move abroad someday?",
        (
            (
                "Doing Spanish on my app every night, a three hundred day streak, I dream in verbs.",
                "Signed up for Portuguese lessons, I want to be fluent by next summer.",
            ),
            (
                "Spent an evening reading about visas and work permits, so much paperwork, still excited.",
                "Looked up what it takes to get residency in Spain, printed it all out.",
            ),
            (
                "This town feels so small lately, same faces, same pub, I'm itching for something else.",
                "I feel stuck here, I've lived on the same street my whole life.",
            ),
        ),
        ("Would you ever move abroad?", "Could you see yourself living abroad?"),
        (
            "Move your car, the street sweeper's coming.",
            "Likely rain tomorrow, the forecast says.",
            "Abroad or not, the prices for everything are silly.",
        ),
        (
            "My colleague moved to Dubai and posts pool pictures daily.",
            "My neighbour's son is doing a gap year in Peru.",
        ),
    ),
    Hops(
        "Would {p} make a good teacher?",
        (
            (
                "Tutoring my nephew in maths, watching fractions finally click for him was the best feeling.",
                "Helped my niece with her reading every evening, now she reads to me.",
            ),
            (
                "People say I'm endlessly patient, I explain things five different ways until they land.",
                "I never get frustrated explaining stuff, I just try another angle.",
            ),
            (
                "Ran a workshop at the library for kids, thirty of them, chaos, loved it.",
                "Coached the under-tens football team all season, they won a game!",
            ),
        ),
        ("You'd be a good teacher, you know.", "Have you considered becoming a teacher?"),
        (
            "My old maths teacher is on the council now, weird.",
            "Make sure you bring a coat tomorrow, it's freezing.",
            "The good news is the boiler's fixed.",
        ),
        (
            "My brother is a driving instructor and has nerves of steel.",
            "Parents evening was long, the teachers looked exhausted.",
        ),
    ),
)
