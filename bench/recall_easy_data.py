"""Template data of the easy recall set (`--split easy`): the first evaluation, kept so its figures reproduce."""

PAIRS = [
    ("Caroline", "Melanie"),
    ("John", "Maria"),
    ("Jolene", "Deborah"),
    ("Evan", "Sam"),
    ("Audrey", "Andrew"),
    ("Nate", "Joanna"),
    ("Tim", "John"),
]

# --- question-turn plants: (asking turn, answer options, question) -------------------
# {b} is the answering speaker. The question paraphrases the asking turn, not the answer.
QUESTION_TURN = [
    (
        "How long have you been playing the violin?",
        ["For about a month now, still squeaky.", "Nearly two years, since the winter after the move."],
        "How long has {b} been playing violin?",
    ),
    (
        "What made you start running marathons?",
        [
            "Honestly my doctor scared me after a checkup, and then it stuck.",
            "A friend dared me after a long dinner and I never stopped.",
        ],
        "Why did {b} begin running marathons?",
    ),
    (
        "Where did you go for your honeymoon?",
        ["We spent ten days in Kyoto, mostly eating.", "A tiny island off Croatia, no cars at all."],
        "Where was {b}'s honeymoon?",
    ),
    (
        "What kind of car did you end up buying?",
        ["A used green hatchback, cheap and reliable.", "An old red pickup my uncle sold me."],
        "Which car did {b} buy in the end?",
    ),
    (
        "How did your job interview at the bank go?",
        ["They offered me the position on the spot!", "Terribly, I froze on the second round."],
        "How did {b}'s bank interview turn out?",
    ),
    (
        "What is your sister studying at university?",
        ["Marine biology, she wants to work with whales.", "Architecture, she lives in the studio."],
        "What does {b}'s sister study?",
    ),
    (
        "Which book club novel did you like most this year?",
        ["The one about the lighthouse keeper, it made me cry.", "That thriller set on a night train."],
        "What was {b}'s favourite book club novel this year?",
    ),
    (
        "What did your kids dress up as for Halloween?",
        ["A dinosaur and a very small astronaut.", "Two pirates with cardboard swords."],
        "What were {b}'s kids for Halloween?",
    ),
    (
        "How often do you volunteer at the animal shelter?",
        ["Every Saturday morning, rain or shine.", "Twice a month, when my shifts allow."],
        "How frequently does {b} volunteer at the shelter?",
    ),
    (
        "What instrument does your son practise?",
        ["Drums, and the neighbours hate it.", "The trumpet, loudly, at seven in the morning."],
        "Which instrument does {b}'s son practise?",
    ),
    (
        "Why did you move out of the city?",
        ["Rent doubled and I wanted a garden.", "Too much noise, I could not sleep."],
        "What was the reason {b} moved out of the city?",
    ),
    (
        "What did you name your new puppy?",
        ["Biscuit, because of the colour.", "Pepper, she sneezes a lot."],
        "What is the name of {b}'s new puppy?",
    ),
    (
        "Where did you learn to surf?",
        ["In Portugal, at a camp near Ericeira.", "Bali, during a gap year."],
        "Where did {b} learn surfing?",
    ),
    (
        "How was the pottery workshop last weekend?",
        ["Messy but fun, I made a wobbly bowl.", "I broke three pieces and loved every minute."],
        "How did {b} find the pottery workshop?",
    ),
    (
        "What are you painting for the community exhibition?",
        ["A sunset over the harbour, mostly orange.", "Portraits of my grandmother's hands."],
        "What is {b} painting for the community exhibition?",
    ),
    (
        "Which language are you learning at night school?",
        ["Japanese, the writing is hard.", "Italian, for my trip next summer."],
        "What language does {b} learn at night school?",
    ),
    (
        "What did your doctor say about your knee?",
        ["Six weeks of physio and no running.", "Just a sprain, ice and rest."],
        "What was the doctor's verdict on {b}'s knee?",
    ),
    (
        "How did you celebrate your anniversary?",
        ["A picnic on the hill where we met.", "Cooking class and too much wine."],
        "How did {b} celebrate the anniversary?",
    ),
    (
        "What is your favourite hiking trail around here?",
        ["The ridge loop above the reservoir.", "The forest path to the old mill."],
        "Which hiking trail does {b} like best?",
    ),
    (
        "What did you plant in the vegetable garden this spring?",
        ["Tomatoes, beans and far too much zucchini.", "Potatoes and a row of sunflowers."],
        "What did {b} plant in the vegetable garden?",
    ),
    (
        "Who taught you to bake bread?",
        ["My grandfather, on Sunday mornings.", "A video series, and lots of failures."],
        "Who taught {b} bread baking?",
    ),
    (
        "What was the concert you went to on Friday like?",
        ["Loud, sweaty, and absolutely worth it.", "The sound was bad but the band was great."],
        "What was the Friday concert like for {b}?",
    ),
    (
        "Why did you quit the choir?",
        ["The rehearsals clashed with my night shifts.", "The new director and I did not get along."],
        "Why did {b} leave the choir?",
    ),
    (
        "What game are you designing for the jam?",
        ["A puzzle about a lost robot finding home.", "A cooking race with angry chefs."],
        "What game is {b} designing for the game jam?",
    ),
    (
        "How did your daughter's recital go?",
        ["She played perfectly and bowed twice.", "She forgot the middle but recovered."],
        "How was {b}'s daughter's recital?",
    ),
    (
        "What do you do to unwind after work?",
        ["A long bath and a crossword.", "I walk along the river with headphones."],
        "How does {b} relax after work?",
    ),
    (
        "Where are you going for the family reunion?",
        ["My aunt's farm up north.", "A lake house my cousin rented."],
        "Where is {b}'s family reunion?",
    ),
    (
        "What did you think of the new mentoring program?",
        ["It gave me the confidence to lead.", "Useful, though the sessions ran long."],
        "What did {b} think of the mentoring program?",
    ),
]

# --- paraphrase plants: topic turn, bridge turns, the answer (no shared word with question) --
PARAPHRASE = [
    (
        "Have you thought any more about getting a pet?",
        "We went to look at a few last weekend.",
        "So? Any luck?",
        [
            "We brought home a beagle called Max, he chews everything.",
            "A ginger kitten picked us, she sleeps in my shoe.",
        ],
        "What pet did {b} get?",
    ),
    (
        "How is the house hunting going?",
        "Slowly, the market is crazy.",
        "Did anything come up?",
        ["We signed for a two-bedroom flat near the station!", "We found a cottage with a blue door and a stove."],
        "Did {b} find a home?",
    ),
    (
        "Are you still thinking about changing careers?",
        "Every single day, to be honest.",
        "What's the plan then?",
        ["I enrolled in a nursing course starting in autumn.", "I'm training as an electrician, first exams soon."],
        "What new career is {b} going for?",
    ),
    (
        "How was your trip to see your parents?",
        "Long drive, but worth it.",
        "How are they doing?",
        ["Dad is walking again after the surgery, Mom fusses a lot.", "They sold the shop and seem so relaxed."],
        "How are {b}'s parents?",
    ),
    (
        "Did you ever finish that wedding speech?",
        "Last night, at two in the morning.",
        "And how did it land?",
        ["Everyone laughed at the goat story, my brother cried.", "I mumbled, but the bride hugged me after."],
        "How did {b}'s wedding speech go?",
    ),
    (
        "What happened with the apartment flood?",
        "Oh, don't even ask.",
        "That bad?",
        [
            "The insurer is paying for new floors, and we stay with friends.",
            "Three rooms ruined, we sleep on an air mattress.",
        ],
        "What came of {b}'s apartment flood?",
    ),
    (
        "How is your new diet going?",
        "Better than I thought.",
        "Do you miss anything?",
        ["Cheese. I dream of cheese every night.", "Chocolate, I hide some in the car."],
        "What food does {b} miss on the diet?",
    ),
    (
        "Did your camping weekend happen in the end?",
        "It did, despite the forecast.",
        "Tell me everything.",
        ["We saw a bear near the lake and hid in the tent.", "It poured, the tent leaked, and we sang anyway."],
        "What happened on {b}'s camping weekend?",
    ),
    (
        "How did the school fundraiser turn out?",
        "Better than last year.",
        "How much did you raise?",
        ["Almost four thousand for the new library.", "Enough to buy the band new uniforms."],
        "What did the school fundraiser achieve, according to {b}?",
    ),
    (
        "Any news on the adoption?",
        "We had the home visit on Tuesday.",
        "And?",
        ["We got approved! A little boy might join us in spring.", "They need more papers, another month of waiting."],
        "What is the status of {b}'s adoption?",
    ),
    (
        "How was your first week at the new job?",
        "Exhausting but good.",
        "Are the people nice?",
        ["My manager brought cake and the team took me to lunch.", "One colleague is rude, the rest are lovely."],
        "How did {b}'s first week at work go?",
    ),
    (
        "Did you sort out the problem with your landlord?",
        "Sort of.",
        "What did he say?",
        ["He agreed to fix the heating by Friday.", "He's lowering the rent if we paint ourselves."],
        "How was {b}'s landlord issue resolved?",
    ),
    (
        "How is your grandmother doing after the fall?",
        "She's tougher than all of us.",
        "Is she home now?",
        ["She's back in her flat with a nurse visiting daily.", "She moved in with my uncle for now."],
        "How is {b}'s grandmother after her fall?",
    ),
    (
        "What did you decide about the scholarship?",
        "I thought about it for ages.",
        "Well?",
        ["I accepted the one in Edinburgh, I leave in September.", "I turned it down to stay near my mum."],
        "What did {b} decide about the scholarship?",
    ),
    (
        "Did the charity run raise much for the hospital?",
        "We counted last night.",
        "Go on!",
        ["Twelve hundred, double our target.", "A bit short, but the ward was thrilled."],
        "How much did {b}'s charity run raise?",
    ),
    (
        "How did the garage sale go?",
        "We were up at six.",
        "Did things sell?",
        ["Everything went except the rowing machine.", "We made enough for a weekend away."],
        "How did {b}'s garage sale go?",
    ),
]

# --- multi-session plants: question, then 2-3 (asking turn, answer) in different sessions ----
MULTI = [
    (
        "Which countries has {b} travelled to this year?",
        [
            ("Where did you travel over the holidays?", "Morocco, the markets were wild."),
            ("Travelling anywhere lately?", "Just back from Norway, saw the northern lights."),
            ("Any travel plans this summer?", "Vietnam, for two weeks."),
        ],
    ),
    (
        "What sports has {b} tried recently?",
        [
            ("Still doing that new sport?", "Climbing, my forearms are on fire."),
            ("Tried any other sports?", "I joined a rowing crew on the lake."),
        ],
    ),
    (
        "What courses has {b} taken?",
        [
            ("How's the evening course?", "Photography, we shoot in the park."),
            ("Signed up for any new course?", "A first aid certificate, passed on Monday."),
        ],
    ),
    (
        "Which shows has {b} been watching?",
        [
            ("Watching any good shows?", "A Danish crime series, very dark."),
            ("What show are you bingeing now?", "A baking competition, it's so calming."),
        ],
    ),
    (
        "What has {b} built in the workshop?",
        [
            ("What are you making in the workshop?", "A bookshelf from old floorboards."),
            ("Built anything new in the workshop?", "A birdhouse, the kids painted it."),
        ],
    ),
    (
        "Which restaurants has {b} recommended?",
        [
            ("Eaten at any nice restaurant?", "The Lebanese place on King Street, incredible."),
            ("Any restaurant tips?", "Try the ramen bar by the bridge."),
        ],
    ),
    (
        "What has {b} said about the neighbours?",
        [
            ("How are the neighbours these days?", "They hold drum practice at midnight."),
            ("Any peace from the neighbours?", "They moved out, new family is quiet."),
        ],
    ),
    (
        "What gifts has {b} received?",
        [
            ("Get any nice gifts for your birthday?", "A telescope from my partner."),
            ("What gift was under the tree?", "A knitted scarf and a cookbook."),
        ],
    ),
]

# --- dated plants: an exchange that recurs, with a different answer each time --------------
DATED = [
    (
        "What did you cook for dinner tonight?",
        [
            "Lentil soup with lemon.",
            "Homemade pizza with figs.",
            "Grilled fish and rice.",
            "A massive curry.",
            "Dumplings from scratch.",
        ],
        "What did {b} cook for dinner {when}?",
    ),
    (
        "What are you reading at the moment?",
        [
            "A biography of a chess champion.",
            "Short stories from Nigeria.",
            "A guide to mushrooms.",
            "An old sci-fi classic.",
            "Poems about the sea.",
        ],
        "What was {b} reading {when}?",
    ),
    (
        "How did the match go today?",
        [
            "We lost four to one, awful defending.",
            "A draw, last minute equaliser.",
            "We won on penalties!",
            "Cancelled because of the storm.",
            "Won easily, three nil.",
        ],
        "How did {b}'s match go {when}?",
    ),
    (
        "What did you do at the weekend?",
        [
            "Helped a friend move house.",
            "Went berry picking with the kids.",
            "Slept, mostly.",
            "Visited the science museum.",
            "Painted the fence.",
        ],
        "What did {b} do at the weekend {when}?",
    ),
]

FILLER_SUBJECTS = [
    "work",
    "the weather",
    "the traffic",
    "my cousin",
    "the garden",
    "the budget",
    "the kids",
    "the neighbours",
    "a podcast",
    "the gym",
    "the news",
    "my phone",
    "the train",
    "lunch",
    "coffee",
    "the office",
    "a movie",
    "the market",
    "a recipe",
    "my laptop",
    "the dentist",
    "the bus",
    "the park",
    "the holidays",
    "a meeting",
]
FILLER = [
    "Honestly {s} has been on my mind all week, I keep thinking about what to change.",
    "Did I tell you about {s}? It turned into a whole saga, I'll spare you the details.",
    "I feel like {s} always gets complicated right when I'm busiest.",
    "Ha, that reminds me of {s} last year, what a mess that was.",
    "Anyway, enough about {s}, how are you holding up?",
    "I'm fine, just tired. {s} kept me up late again.",
    "That sounds rough. I had a similar week with {s}, nothing dramatic though.",
    "Oh I love that. We should talk more about {s} next time we meet for coffee.",
    "Not much new here, {s} is the same as always, slow and steady.",
    "You always make {s} sound more fun than it is!",
    "I read an article about {s} that you would like, I'll send it over.",
    "Speaking of {s}, did you see what happened yesterday? Unbelievable.",
    "Sometimes I think {s} is the only thing keeping me sane, silly as that sounds.",
    "Yeah, I get it. Take your time with {s}, there's no rush at all.",
    "Good morning! Quick one before I head out, how was {s}?",
    "That's such good news about {s}, really happy for you.",
]
# Topic words in unrelated talk, so a question word alone does not find the answer.
DISTRACTORS = [
    "My neighbour plays the violin badly every evening.",
    "Saw a marathon on TV, those runners are mad.",
    "A colleague is planning a honeymoon and won't stop talking about it.",
    "The car wash ruined my mirrors.",
    "The bank changed its app again, I hate it.",
    "The university near us is hosting a fair.",
    "Our book club picked a very long novel this time.",
    "Halloween decorations are already in the shops.",
    "The animal shelter posted adorable photos.",
    "My son wants a new instrument every month.",
    "The city is so hot this week.",
    "A puppy chased my bike today.",
    "Surf shops everywhere on the coast.",
    "The pottery store downtown closed.",
    "There's an exhibition of old maps at the library.",
    "Night school flyers came through the door.",
    "My doctor is always late.",
    "Anniversary cards are so cheesy.",
    "The hiking trail was closed for repairs.",
    "The vegetable garden at work is overgrown.",
    "Bread prices went up again.",
    "There's a concert in the square on Friday.",
    "The choir next door is loud.",
    "Game shops are dying out.",
    "My daughter wants piano lessons.",
    "Work was long today.",
    "The family group chat is chaos.",
    "The new program at work is confusing.",
    "Pet food is so expensive.",
    "House prices in the news again.",
    "My career advisor emailed.",
    "A trip to the parents is due.",
    "Weddings are expensive.",
    "The apartment upstairs is noisy.",
    "Diet books everywhere.",
    "Camping gear on sale.",
    "The school sent another letter.",
    "Adoption stories always make me cry.",
    "New job posts at the hospital.",
    "The landlord texted about the bins.",
    "Grandmother's recipe book.",
    "Scholarship deadlines are soon.",
    "Charity shops have the best jackets.",
    "A garage sale on our street.",
    "Travel prices are silly this year.",
    "Sports day at school.",
    "Online courses are everywhere.",
    "Too many shows to watch.",
    "The workshop down the road sells tools.",
    "A new restaurant opened.",
    "Gifts for the office party.",
    "Dinner plans fell through.",
    "Reading glasses again.",
    "The match was on at the pub.",
    "The weekend went too fast.",
]
