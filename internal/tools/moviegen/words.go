package moviegen

// The word lists below are the whole vocabulary of the generator. Changing
// any of them changes every catalog generated from a seed, so the committed
// examples (examples/movies.jsonl, examples/yts-list_movies.json) must be
// regenerated in the same change; TestExamplesUpToDate says so when they
// drift.

// Genres is YTS's genre list, in the order YTS uses.
var Genres = []string{
	"Action", "Adventure", "Animation", "Biography", "Comedy", "Crime",
	"Documentary", "Drama", "Family", "Fantasy", "Film-Noir", "History",
	"Horror", "Music", "Musical", "Mystery", "Romance", "Sci-Fi", "Sport",
	"Thriller", "War", "Western",
}

var firstNames = []string{
	"Ada", "Amara", "Anton", "Ayla", "Bruno", "Cass", "Cedric", "Celia",
	"Dario", "Delia", "Eamon", "Edie", "Elias", "Esme", "Farid", "Fern",
	"Gideon", "Greta", "Hal", "Hana", "Ines", "Ivo", "Jonah", "Juno",
	"Kasia", "Kit", "Leon", "Lila", "Lorcan", "Mabel", "Malik", "Marta",
	"Nell", "Nico", "Noor", "Odile", "Otto", "Pia", "Quinn", "Rafe",
	"Rosa", "Rowan", "Saul", "Selma", "Silas", "Sunny", "Tamsin", "Teo",
	"Thea", "Tobias", "Ulla", "Vera", "Viktor", "Wren", "Xavi", "Yara",
	"Yusuf", "Zelda", "Zoltan", "Maeve", "Arlo", "Bea", "Corin", "Dagny",
	"Emil", "Frida", "Gus", "Hester", "Idris", "Jessamy", "Kofi", "Lotte",
	"José", "Zoë",
}

var lastNames = []string{
	"Abernathy", "Achebe", "Alder", "Barlow", "Bellweather", "Brandt",
	"Calloway", "Castellan", "Dunmore", "Drayton", "Ellery", "Esposito",
	"Falk", "Fairbrother", "Garrow", "Greaves", "Halloran", "Holt",
	"Ibarra", "Ingram", "Jablonski", "Kane", "Kessler", "Lachance",
	"Lindqvist", "Marsh", "Mbeki", "Mercer", "Nakamura", "Novak",
	"Okafor", "Oyelaran", "Pell", "Petrova", "Quill", "Radcliffe",
	"Reyes", "Rourke", "Salazar", "Sato", "Sinclair", "Strand",
	"Thorne", "Tindall", "Underhill", "Valdez", "Vance", "Voss",
	"Wakefield", "Whitlock", "Winslow", "Yilmaz", "Zamora", "Zeller",
	"Ashdown", "Blackwood", "Crane", "Dufresne", "Everett", "Fontaine",
	"Müller", "Ó Briain",
}

var roles = []string{
	"a disgraced detective", "a retired astronaut", "a young cellist",
	"a small-town pharmacist", "an ambitious reporter", "a burned-out schoolteacher",
	"a reformed safecracker", "a night-shift nurse", "a widowed lighthouse keeper",
	"a struggling stand-up comic", "a rookie park ranger", "an aging boxer",
	"a marine biologist", "a grieving architect", "a teenage chess prodigy",
	"a washed-up rock star", "a cautious accountant", "a stubborn ferry captain",
	"a junior diplomat", "a former child actor", "an exiled chef",
	"a quiet librarian", "a restless cartographer", "a veteran war photographer",
	"a single father", "a ghostwriter with writer's block", "a disillusioned priest",
	"a rodeo clown", "an insomniac radio host", "a gifted forger",
	"a mountain guide", "a bankrupt vineyard owner", "a hospice volunteer",
	"a courier who never misses a delivery", "a former Olympic swimmer",
	"a sheriff two weeks from retirement", "an android caretaker",
	"a starship mechanic", "a midwife", "a jazz pianist", "a beekeeper",
	"an orphaned pickpocket", "a museum night guard", "a crossword editor",
	"a hedge-fund analyst", "a circus acrobat", "a translator at the UN",
	"a tugboat pilot", "a field medic", "a fading soap-opera star",
}

// placeHeads and placeTails combine into invented towns ("Kestrel Bay").
var placeHeads = []string{
	"Kestrel", "Harrow", "Ashford", "Blackwater", "Cinder", "Dunmore",
	"Elm", "Fallow", "Gull", "Hollow", "Iron", "Juniper", "Larkspur",
	"Marrow", "North", "Osprey", "Pike", "Quarry", "Raven", "Saltmarsh",
	"Thistle", "Umber", "Vale", "Willow", "Wolf", "Yarrow", "Copper",
	"Granite", "Lantern", "Sparrow", "Tallow", "Windward",
}

var placeTails = []string{
	"Bay", "Falls", "Creek", "Harbor", "Point", "Ridge", "Hollow",
	"Springs", "Crossing", "Heights", "Landing", "Junction", "Flats",
	"Cove", "Mills", "Rock",
}

// cities are real places; the films set in them are not real.
var cities = []string{
	"Lisbon", "Marseille", "Reykjavík", "Kraków", "Zürich", "Montréal",
	"São Paulo", "Naples", "Tangier", "Istanbul", "Osaka", "Vladivostok",
	"Buenos Aires", "Detroit", "New Orleans", "Glasgow", "Tbilisi",
	"Valparaíso", "Hanoi", "Nairobi", "Anchorage", "Trieste", "Havana",
	"a research station in Antarctica", "a drifting cargo ship",
	"an orbital colony", "a fading seaside resort", "the Scottish Highlands",
	"a border town in Sonora", "a sleepy Alpine village",
}

var conflicts = []string{
	"a decades-old murder", "a missing shipment of gold", "a forged will",
	"a flood that cuts the town off", "a rigged election", "a stolen painting",
	"a signal from deep space", "a hostile corporate takeover",
	"a blackmail scheme", "a contagious fever", "a vanished child",
	"a bitter custody battle", "a wildfire", "a cursed heirloom",
	"a smuggling ring", "a doctored photograph", "an unpaid gambling debt",
	"a rival's sabotage", "a crumbling family restaurant", "a forgotten treaty",
	"a ghost that only children can see", "a fixed championship fight",
	"a leaked government file", "a plague of locusts", "a sinking ferry",
	"a hacked power grid", "a buried time capsule", "a counterfeit vaccine",
	"an inheritance nobody expected", "a strike at the mill",
	"a kidnapping gone wrong", "a lost manuscript", "a dam about to burst",
	"a secret second family", "a duel at dawn", "a failing space elevator",
	"a string of arsons", "a robot that refuses to shut down",
	"a prize-winning pumpkin", "a heist planned for New Year's Eve",
}

var allies = []string{
	"a sharp-tongued neighbor", "an estranged brother", "a retired con artist",
	"a lonely widow", "a street-smart teenager", "an eccentric inventor",
	"a loyal dog", "a jaded police captain", "a former rival",
	"a wisecracking cab driver", "a grandmother with a past", "a runaway bride",
	"a nervous intern", "a blind fortune teller", "a boxer with a glass jaw",
	"an old flame", "a bored security guard", "a mute stowaway",
	"a small-time bookie", "a hacker who lives in a van",
}

var villains = []string{
	"a ruthless land developer", "a charming cult leader", "a corrupt mayor",
	"a hired assassin", "a jealous colleague", "an artificial intelligence",
	"a pharmaceutical giant", "the town's beloved doctor", "a crime family",
	"a rogue general", "a smiling televangelist", "a masked vigilante",
	"a tech billionaire", "an ancient creature", "their own reflection",
	"a dirty cop", "a vengeful ex-partner", "a warlord", "a record label",
	"a storm that will not end",
}

var goals = []string{
	"clear their name", "bring the family back together", "win one last title",
	"get home before winter", "expose the truth", "save the old theater",
	"find the person who vanished", "pay off the debt", "make peace with the past",
	"protect a witness", "finish the song", "reach the summit",
	"stop the wedding", "rebuild the orchestra", "keep the farm",
	"escape the island", "solve the cipher", "win back a daughter's trust",
	"open the restaurant on time", "survive the night",
}

var secrets = []string{
	"an affair", "a stolen identity", "a hidden fortune", "a fatal mistake",
	"a child given up long ago", "a betrayal during the war",
	"a forged diploma", "an illness", "a lottery ticket",
	"a confession on tape", "a second passport", "a drowned friend",
}

var times = []string{
	"In the summer of 1962", "One winter night", "During a heatwave",
	"On the eve of the millennium", "Three days before the election",
	"In the near future", "After the last train leaves", "In 1944",
	"Over one long weekend", "At the height of the Cold War",
	"When the circus comes to town", "In the dying days of the Gold Rush",
	"On the longest day of the year", "In a world without electricity",
}

var titleAdjs = []string{
	"Last", "Silent", "Hollow", "Broken", "Crimson", "Golden", "Quiet",
	"Burning", "Hidden", "Lost", "Distant", "Wild", "Iron", "Paper",
	"Glass", "Midnight", "Northern", "Restless", "Forgotten", "Electric",
	"Velvet", "Salt", "Sleeping", "Borrowed", "Bitter", "Tender", "Savage",
	"Little", "Endless", "Secret",
}

var titleNouns = []string{
	"Harbor", "Kingdom", "Summer", "Frontier", "Witness", "Orchard",
	"Lighthouse", "Season", "Highway", "Promise", "Signal", "Ballad",
	"Horizon", "Empire", "Circus", "Garden", "Tide", "Station", "Crown",
	"Winter", "River", "Hour", "Shadow", "Compass", "Carnival", "Letter",
	"Voyage", "Engine", "Sister", "Stranger", "Mirror", "Country",
	"Heist", "Requiem", "Waltz", "Storm", "Orbit", "Inheritance",
}

var titleSubtitles = []string{
	"The Reckoning", "A Love Story", "Homecoming", "The Long Night",
	"Part Two", "Redemption", "The Last Stand", "Origins", "Reunion",
	"The Lost Chapter", "Resurrection", "Endgame",
}

// Sentence templates. Placeholders: {P} protagonist's full name, {p} first
// name, {R} role, {L} place, {C} conflict, {A} ally, {a} ally's name,
// {V} villain, {G} goal, {S} secret, {T} time phrase.
var openers = []string{
	"{T}, {R} named {P} returns to {L} and is pulled into {C}.",
	"{P}, {R} in {L}, has kept a low profile for years until {C} changes everything.",
	"When {C} shakes {L}, {R} named {P} becomes the only person willing to ask questions.",
	"{T}, {P} arrives in {L} with a suitcase, a lie and nowhere else to go.",
	"{P} is {R} who has never left {L}, and {C} is about to make that impossible.",
	"In {L}, {R} named {P} discovers that {C} is connected to their own family.",
	"Nobody in {L} expects much from {P}, {R} with a talent for getting into trouble.",
	"{T}, {R} named {P} takes a job in {L} that turns out to be a cover for {C}.",
	"After years away, {P} comes back to {L} to bury a father and finds {C} instead.",
	"{P} has one rule as {R} in {L}: never get involved. {C} breaks it on the first day.",
	"Set in {L}, this story follows {P}, {R} whose quiet life unravels over {C}.",
	"{T}, {P}, {R}, receives a letter that ties them to {C} in {L}.",
}

var middles = []string{
	"With the help of {A} named {a}, {p} must {G} before it is too late.",
	"But {V} will stop at nothing to keep {C} buried.",
	"As the pressure mounts, {p} is forced to confront {S} that has haunted them for years.",
	"{a}, {A}, offers help, though their motives are far from clear.",
	"Every clue leads back to {V}, and every answer costs {p} a little more.",
	"Soon {p} is caught between the law, {V} and the people they love.",
	"To {G}, {p} will have to trust {A} they swore never to see again.",
	"What begins as a favor for {A} turns into a race against {V}.",
	"The deeper {p} digs, the clearer it becomes that {S} is at the heart of it all.",
	"Old friends turn out to be strangers, and {V} seems to know every move {p} makes.",
	"Along the way, {p} and {a} form an unlikely bond that neither of them expected.",
	"The town closes ranks, and {p} has only days to {G}.",
	"Meanwhile, {a}, {A}, hides {S} that could change everything.",
	"A single mistake puts {p} in the sights of {V}.",
	"Nothing about {C} is what it seems, and the truth is stranger than anyone in {L} imagined.",
	"{p} tries to walk away twice, and twice {V} pulls them back in.",
	"Each night brings a new threat, and each morning a new reason to {G}.",
	"Their plan is simple, reckless and almost certain to fail.",
	"Word spreads quickly, and soon {V} is watching from every corner of {L}.",
	"Haunted by {S}, {p} starts to doubt what is real.",
}

var closers = []string{
	"A tense, funny and surprisingly tender story about second chances.",
	"What they find will change {L} forever.",
	"The price of the truth may be everything {p} has left.",
	"A story of courage, loyalty and the ties that bind.",
	"Some secrets are worth dying for.",
	"By the end, {p} must decide who they really are.",
	"It all comes down to one night and one impossible choice.",
	"Nothing will ever be the same again.",
	"Based loosely on a local legend from {L}.",
	"The final confrontation takes place where it all began.",
	"Hope, it turns out, is the most dangerous thing in {L}.",
	"Winning was never the point.",
}
