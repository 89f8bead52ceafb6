/**
 * Word lists for the descriptors of a person that are not names: job titles (`title`, with honorifics) and
 * nationalities, religions and political groups (`nrp`, GDPR Art. 9's "racial or ethnic origin, political
 * opinions, religious or philosophical beliefs" as far as a word shows them). Written here, not derived from
 * any labelled set: English nationality adjectives and demonyms of the world's states, major ethnic groups,
 * religions and denominations, and political movements. Lower case; plurals are added where English forms
 * them with -s ("Americans", "Israelis", "Catholics").
 */

/** Head nouns of job titles: the last word of "Senior Claims Adjuster", "Technical writer". */
export const occupationNouns = new Set(
  `accountant actor actress actuary adjuster administrator adviser advisor agent analyst announcer appraiser
  architect archivist artist assessor assistant associate attendant attorney auditor author baker banker barber
  bartender biologist bookkeeper broker builder butcher buyer captain carpenter cashier caretaker chairman
  chairwoman chef chemist chiropractor cleaner clerk coach compliance consultant contractor controller cook
  coordinator copywriter correspondent counsel counsellor counselor courier curator dentist deputy designer
  detective developer dietitian director dispatcher doctor draughtsman draftsman driver economist editor
  educator electrician engineer estimator examiner executive farmer firefighter fitter foreman founder gardener
  geologist guard hairdresser handler historian hygienist illustrator inspector installer instructor
  interpreter investigator janitor jeweller jeweler journalist judge labourer laborer landscaper lawyer lecturer
  librarian lifeguard locksmith loss machinist manager marketer mason mechanic mediator midwife miner nanny
  negotiator notary nurse officer operator optician optometrist organiser organizer packer painter paralegal paramedic
  partner pathologist pharmacist photographer physician physicist physiotherapist pilot planner plasterer
  plumber policeman policewoman porter president principal producer professor programmer psychiatrist
  psychologist publisher radiographer receptionist recruiter registrar reporter representative researcher
  roofer salesman saleswoman salesperson scientist secretary sergeant servant sheriff singer solicitor
  specialist statistician steward stewardess strategist superintendent supervisor surgeon surveyor tailor
  teacher technician technologist therapist trader trainer translator treasurer tutor typist underwriter
  valuer veterinarian waiter waitress welder worker writer`
    .split(/\s+/)
    .filter((word) => word.length > 0 && word !== 'compliance' && word !== 'loss'),
);

const nationalities = `afghan albanian algerian american andorran angolan argentine argentinian armenian australian
  austrian azerbaijani bahamian bahraini bangladeshi barbadian belarusian belgian belizean beninese bhutanese
  bolivian bosnian botswanan brazilian british bruneian bulgarian burkinabe burmese burundian cambodian
  cameroonian canadian chadian chilean chinese colombian comorian congolese croatian cuban cypriot czech danish
  djiboutian dominican ecuadorian egyptian emirati english eritrean estonian ethiopian fijian filipino finnish
  french gabonese gambian georgian german ghanaian greek grenadian guatemalan guinean guyanese haitian honduran
  hungarian icelandic indian indonesian iranian iraqi irish israeli italian ivorian jamaican japanese jordanian
  kazakh kenyan kosovar kuwaiti kyrgyz laotian latvian lebanese liberian libyan lithuanian luxembourgish
  macedonian malagasy malawian malaysian maldivian malian maltese mauritanian mauritian mexican moldovan
  monegasque mongolian montenegrin moroccan mozambican namibian nepalese nepali nicaraguan nigerian nigerien
  norwegian omani pakistani palestinian panamanian paraguayan peruvian polish portuguese qatari romanian russian
  rwandan salvadoran samoan saudi scottish senegalese serbian singaporean slovak slovakian slovenian somali
  spanish sudanese surinamese swedish swiss syrian taiwanese tajik tanzanian thai togolese tongan trinidadian
  tunisian turkish turkmen ugandan ukrainian uruguayan uzbek venezuelan vietnamese welsh yemeni zambian
  zimbabwean`;
const ethnicities = `arab berber bengali basque catalan gujarati hispanic inuit kurdish latina latino maori pashtun
  punjabi roma romani sami sinhalese tamil tibetan uyghur yoruba igbo hausa zulu xhosa aboriginal`;
const religions = `catholic protestant muslim moslem jewish jew hindu buddhist sikh christian orthodox evangelical
  mormon lutheran baptist methodist anglican presbyterian pentecostal quaker amish atheist agnostic islamic shia
  shiite sunni jain taoist zoroastrian rastafarian`;
const politics = `democrat republican socialist communist conservative labour liberal libertarian tory tories
  marxist anarchist fascist nazi`;

const words = (list: string) => list.split(/\s+/).filter((word) => word.length > 0);
const withPlurals = (list: string[]) => [
  ...list,
  ...list.filter((word) => /(?:an|i|ic|at|ist|er|ew|kh|u)$/.test(word)).map((word) => `${word}s`),
];

/** Nationality and ethnic words (lower case), singular and plural. */
export const nationalityWords: ReadonlySet<string> = new Set(withPlurals([...words(nationalities), ...words(ethnicities)]));
/** Religions, denominations and political groups (lower case), singular and plural. */
export const beliefWords: ReadonlySet<string> = new Set(withPlurals([...words(religions), ...words(politics)]));

/**
 * Nouns after a nationality word that make it describe a thing, not a person: a legal system ("English law"),
 * a language ("the German version"), a currency ("Swiss francs"), a style ("Georgian terrace"), a plant
 * ("Japanese knotweed", which insurers meet as subsidence damage).
 */
export const thingNouns = new Set(
  words(`law laws court courts jurisdiction legislation regulation regulations rules standard standards language
  languages version versions translation translations text texts edition subtitles dollar dollars pound pounds
  franc francs krona kronor krone kroner peso pesos rupee rupees yen yuan mark marks market markets gaap style
  architecture era period house houses terrace terraces building buildings window windows knotweed shepherd
  measles cheese keyboard layout`),
);
