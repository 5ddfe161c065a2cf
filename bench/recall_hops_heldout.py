"""Multi-hop and open-domain templates of the ``heldout`` split: never tune on these."""

from __future__ import annotations

from recall_templates import Hops  # type: ignore[import-not-found]

MULTI_HOP = (
    Hops(
        "What did {p} do during {their} holiday in Kyoto?",
        (
            (
                "Walked through that bamboo forest at dawn before the crowds, the stalks creaked like an old ship.",
                "The bamboo grove at sunrise was eerie and gorgeous, green light everywhere you looked.",
            ),
            (
                "Knelt for a proper tea ceremony, the matcha was bitter and frothy and my legs went numb.",
                "Whisked my own matcha at a ceremony and got bright foam all down my sleeve.",
            ),
            (
                "Stayed at a ryokan with a hot spring bath, slept on a futon, ate breakfast in a robe.",
                "Soaked in the onsen every evening at our inn, came out pink as a boiled prawn.",
            ),
            (
                "Climbed through thousands of orange torii gates up the mountain, my calves are still screaming.",
                "Those shrine gates go on forever up the hillside, we gave up halfway and bought ice cream.",
            ),
        ),
        ("How was Kyoto?", "Back from Kyoto yet?", "Any Kyoto pictures for me?"),
        (
            "The holiday rota at work is a battlefield, everyone wants the same fortnight.",
            "Kyoto came up as an answer at the pub quiz and nobody at our table knew it.",
        ),
        (
            "A friend just did Seoul and came back addicted to fried chicken.",
            "Tokyo is on my list, the neon looks unreal in pictures.",
        ),
    ),
    Hops(
        "How is {p} getting along with {their} beekeeping?",
        (
            (
                "Did my first hive inspection, spotted the queen with her little painted dot, felt like a detective.",
                "Opened the hive on Sunday and found the queen laying, proper relief.",
            ),
            (
                "Got stung twice through my gloves, my hand swelled up like a balloon.",
                "The smoker went out halfway and they were furious with me, three stings.",
            ),
            (
                "Spun out the frames in the extractor, twelve jars of golden runny honey!",
                "The harvest tastes of lime blossom, I keep eating it straight off a spoon.",
            ),
        ),
        ("How are the bees? Is the beekeeping still fun?", "Any beekeeping drama?", "How's the beekeeping going?"),
        (
            "Getting along with the new flatmate is hard, he labels his yoghurts.",
            "The beekeeping club's stall at the fete sold candles and nothing else.",
        ),
        (
            "My uncle keeps chickens and talks about their personalities.",
            "Wasps in the loft again, the exterminator is coming Thursday.",
        ),
    ),
    Hops(
        "What has {p} learned on the sailing course?",
        (
            (
                "I can tie a bowline with my eyes closed now, I practise on my dressing gown belt.",
                "Knots, knots, knots, the instructor had us doing reef knots till our fingers bled.",
            ),
            (
                "Capsized the dinghy in the harbour, swallowed half the sea, had to right it myself.",
                "We flipped it over on purpose and had to right it again, freezing but thrilling.",
            ),
            (
                "Finally get tacking, push the tiller away, duck under the boom, swap sides.",
                "Nearly got brained by the boom on a gybe, I duck by instinct now.",
            ),
        ),
        ("How's the sailing course?", "Still doing the sailing?", "Sailing report please!"),
        (
            "Course of antibiotics finished, finally, I can have a glass of wine.",
            "It was plain sailing at the dentist for once, no fillings.",
            "Learned the hard way not to microwave eggs.",
        ),
        ("My cousin kayaks on the river every weekend.", "Paddleboarding looks easy until you try it."),
    ),
    Hops(
        "How is {p}'s kitchen renovation coming along?",
        (
            (
                "The tiler finished the splashback, little green zellige squares, it looks like a Moroccan cafe.",
                "Picked hexagon tiles for the floor, the tiler says they're a nightmare but worth it.",
            ),
            (
                "The plumber moved the sink under the window, so I get to wash up facing the garden.",
                "Water was off for three days while the plumber rerouted the pipes, we showered at the gym.",
            ),
            (
                "The oak worktops arrived and they smell like a forest, I keep stroking them.",
                "Chose a marble worktop, cold and beautiful, my bank account is crying.",
            ),
        ),
        ("How's the kitchen looking?", "Is the renovation finished yet?", "Kitchen progress?"),
        (
            "The soup kitchen needs volunteers on Fridays.",
            "Coming along to the pub quiz later?",
            "Renovation works on the high street have blocked the bus stop.",
        ),
        (
            "Our neighbours redid their bathroom and it took a year.",
            "My parents painted their hallway mustard, bold choice.",
        ),
    ),
    Hops(
        "What has {p} done for {their} podcast so far?",
        (
            (
                "Bought a proper microphone and a foam thing, my voice sounds like radio now.",
                "Recorded in the wardrobe among the coats, best acoustics in the house.",
            ),
            (
                "Spent six hours editing out my ums, there were loads, I'm horrified.",
                "Editing is the worst, cutting breaths and coughs until two in the morning.",
            ),
            (
                "Interviewed a local historian for episode three, she was hilarious.",
                "Booked a chef as our next guest, we'll set up in her restaurant.",
            ),
            (
                "Hit a hundred downloads! Mostly my mum, but still.",
                "Somebody in Brazil listened, we have an international audience of one.",
            ),
        ),
        ("How's the podcast going?", "Any new podcast episodes?", "Podcast update?"),
        ("Done with that podcast about murders, too creepy for bedtime.", "So far so good with the new bus route."),
        (
            "My colleague started a channel about bread, it has four thousand followers.",
            "Radio phone-ins are my guilty pleasure.",
        ),
    ),
    Hops(
        "How did {p} prepare for {their} dad's seventieth birthday party?",
        (
            (
                "Scanned two hundred photos for a slideshow, him in flares is a gift.",
                "Made a slideshow of old pictures, including the one with the terrible moustache.",
            ),
            (
                "Ordered a three-tier chocolate cake shaped like his beloved tractor.",
                "The baker did a carrot cake with a tiny marzipan fishing rod on top.",
            ),
            (
                "Hired the village hall and a ceilidh band, strings of bunting everywhere.",
                "Booked the function room at the cricket club and a DJ who plays only Motown.",
            ),
        ),
        (
            "Is the party for your dad all sorted?",
            "How's the birthday planning going?",
            "Ready for your dad's big birthday?",
        ),
        (
            "Party political broadcast on the radio, I switched it off.",
            "My dad's car failed its MOT again.",
            "Preparing a presentation for Monday, dreading it.",
        ),
        (
            "Our neighbour's golden wedding had a brass band on the lawn.",
            "My aunt's retirement do was all speeches and sausage rolls.",
        ),
    ),
    Hops(
        "What has {p}'s training as a volunteer firefighter involved?",
        (
            (
                "Hauled a hose up four flights of stairs in full kit, my lungs were burning.",
                "Hose drills all evening, the pressure nearly knocked me flat.",
            ),
            (
                "Crawled through a smoke-filled container blindfolded, searching for a dummy.",
                "Breathing apparatus practice in a dark maze, I could hear my heart.",
            ),
            (
                "Cut a car roof off with hydraulic cutters, terrifyingly satisfying.",
                "Pulled a pretend casualty out of a crashed car, the jaws of life are loud.",
            ),
        ),
        ("How's the firefighter training?", "Still volunteering with the fire crew?", "Training going okay?"),
        ("Toilet training the toddler is going badly, we're on day nine.", "Volunteer day at the park got rained off."),
        (
            "My cousin is a lifeguard and rescues at least one dad a week.",
            "Paramedics came for the neighbour, he's okay now.",
        ),
    ),
    Hops(
        "How did {p} do at the chess tournament?",
        (
            (
                "Won my first three games with the same sneaky opening, people hate it.",
                "The London System carried me through the morning, dull but deadly.",
            ),
            (
                "Lost on time in the blitz final, had a winning position and twelve seconds left.",
                "Blundered my queen in round five, I wanted to lie under the table.",
            ),
            (
                "My rating jumped sixty points, I'm officially no longer a beginner.",
                "Came away with a trophy for best junior, well, best under-fifteen.",
            ),
        ),
        ("How was the chess tournament?", "Did the chess go well?", "Chess tournament results?"),
        (
            "The tennis tournament on telly is eating my evenings.",
            "Chess pieces from my grandad's set keep going missing.",
        ),
        ("My son plays Go online against strangers in Korea.", "Scrabble night turned nasty over the word qi."),
    ),
    Hops(
        "What happened on {p}'s skiing holiday in the Alps?",
        (
            (
                "The chairlift stopped for twenty minutes in a blizzard, we just swung there, frozen.",
                "Got stuck on a gondola halfway up, the wind was howling.",
            ),
            (
                "Had fondue every night, molten cheese and bread, I might be forty percent cheese.",
                "Raclette in a mountain hut, they scrape the melted cheese right onto your plate.",
            ),
            (
                "I accidentally went down a black run and mostly slid on my bum.",
                "Went down a red piste without falling once, the instructor cheered.",
            ),
        ),
        ("How was skiing?", "Back from the Alps? All limbs intact?", "Skiing holiday, tell me!"),
        (
            "What happened to your neighbour's van? It's been towed.",
            "Holiday brochures keep arriving for the previous owner.",
        ),
        (
            "My sister went snowboarding in Canada and broke her thumb.",
            "Ice skating at the rink was chaos, I clung to the wall.",
        ),
    ),
)

OPEN_DOMAIN = (
    Hops(
        "Would {p} likely pursue a career in law?",
        (
            (
                "Captained the debate team at school, we won regionals arguing against homework.",
                "I argue both sides of everything at dinner, my family finds it exhausting.",
            ),
            (
                "I read court transcripts for fun, the cross-examinations are better than telly.",
                "Sat in the public gallery at the crown court all day, riveted.",
            ),
            (
                "Fairness matters so much to me, I can't stand it when someone gets away with cheating.",
                (
                    "Helped my neighbour fight an unfair eviction, we wrote the "
                    "letters together and the landlord backed down."
                ),
            ),
        ),
        ("Ever thought about a career in law?", "You'd make a great lawyer, you should pursue it."),
        (
            "Law of sod, it rained the minute I hung the washing out.",
            "My career advisor at school told me to be a dentist.",
        ),
        ("My cousin is a police officer and never tells us anything.", "Jury service letter arrived for my dad."),
    ),
    Hops(
        "Is {p} probably a morning person?",
        (
            (
                "Swim at six before work, the pool is empty and the sunrise hits the water.",
                "Up at five every day without an alarm, best part of the day.",
            ),
            (
                "In bed by half nine, I can't do late nights anymore.",
                "Fell asleep at the party at ten, on the host's sofa, mortifying.",
            ),
            (
                "Nothing beats the first coffee while the street is still dark and quiet.",
                "My favourite hour is dawn, birds going, no emails.",
            ),
        ),
        ("Are you a morning person?", "How are you so awake in the morning?"),
        ("The person at the bank was so patient with me.", "Morning traffic on the ring road is a joke."),
        ("My flatmate is nocturnal, games till four.", "Night owls unite, said nobody at a reasonable hour."),
    ),
    Hops(
        "Would {p} enjoy living on a farm?",
        (
            (
                "Our three hens laid five eggs today, I'm ridiculously proud of them.",
                "Got two goats for the paddock, they escape every single day.",
            ),
            (
                "Grew up in the countryside, muddy wellies and tractors, I miss it badly.",
                "I was raised rurally, the nearest shop was six miles away, loved it.",
            ),
            (
                "Happiest when I'm outside digging, rain or no rain.",
                "Give me mud and hard graft over an office desk, always.",
            ),
        ),
        ("Could you see yourself on a farm?", "Farm life, would you enjoy it?"),
        ("The living room is a disaster after the party.", "The server farm at work overheated again."),
        ("My uncle's vineyard in France looks idyllic in photos.", "The city farm near us has a grumpy pig."),
    ),
    Hops(
        "Does {p} care about animal welfare?",
        (
            (
                "Went vegan in January, honestly haven't missed cheese as much as I feared.",
                "Stopped eating meat years ago, I read too much about factory sheds.",
            ),
            (
                "Fostering two kittens from the rescue, they climb the curtains.",
                "Our foster dog finally got adopted, I cried for an hour.",
            ),
            (
                "Signed a petition against fox hunting and marched in the rain.",
                "I donate monthly to the donkey sanctuary and visit on birthdays.",
            ),
        ),
        ("You really care about animals, don't you?", "Is animal welfare a big thing for you?"),
        ("Care home visiting hours changed again.", "The welfare office lost my form twice."),
        ("Zoo membership renewal came, the kids want it.", "Horse racing on telly at my gran's, she bets a pound."),
    ),
    Hops(
        "Would {p} be a good fit for a leadership role?",
        (
            (
                "Organised the whole office move, seventy people, not a single box lost.",
                "Ran the charity gala planning and kept twelve volunteers on schedule.",
            ),
            (
                "Mentoring two juniors, seeing them grow is my favourite bit of the week.",
                "The new hires come to me with questions, I love helping them find their feet.",
            ),
            (
                "When the server crashed I stayed calm and got everyone working again.",
                "Stayed cool in the fire alarm chaos and got the floor out in minutes.",
            ),
        ),
        ("Have you thought about going for the team leader role?", "You'd be a good manager, you know."),
        ("Role play at the training day was excruciating.", "Fit for nothing after the gym tonight."),
        ("My boss micromanages every comma.", "The head teacher retired, big party."),
    ),
    Hops(
        "Would {p} enjoy a visit to a science museum?",
        (
            (
                "Bought a telescope and saw Saturn's rings from the balcony, I actually gasped.",
                "Stayed up for the meteor shower, counted forty shooting stars.",
            ),
            (
                "Watching every documentary about black holes, my brain melts a bit each time.",
                "Reading a book about how the universe began, mind blown.",
            ),
            (
                "As a kid I had a chemistry set and scorched the carpet.",
                "Built a volcano with my niece, bicarbonate everywhere, she screamed with joy.",
            ),
        ),
        ("Do you like science stuff?", "Fancy the science museum sometime?"),
        ("A visit from the gas man, four hours of waiting.", "The museum shop sells the best fudge."),
        ("Art galleries bore me silly, sorry.", "The aquarium has a new octopus."),
    ),
    Hops(
        "Would {p} rather spend a holiday at the beach or in the mountains?",
        (
            (
                "I burn within ten minutes of sun, I turn the colour of a lobster.",
                "Sand gets everywhere and I hate it, every grain.",
            ),
            (
                "Hiked a ridge last summer above the clouds, best day of my year.",
                "I love a long climb with a flask and a view over the valleys.",
            ),
            (
                "Thin cold air and snowy peaks, that's where I feel alive.",
                "Altitude makes me giddy in a good way, I sleep so well up high.",
            ),
        ),
        ("Beach or mountains for you this year?", "Where's the holiday this year?"),
        ("Spend less, save more, says my bank app, rude.", "Mountains of laundry this week."),
        ("My sister only does cruises.", "Lakes are underrated, honestly."),
    ),
)
